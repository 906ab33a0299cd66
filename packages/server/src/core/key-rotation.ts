/**
 * Signing-key rotation without downtime (docs/protocol.md Decision 9):
 *
 * 1. the new key is stored at once, so every node publishes it in JWKS at its next reload, but
 *    it signs only from `activatesAt = now + keyPropagationSeconds` (longer than a node's reload
 *    interval plus the JWKS cache lifetime, so every verifier has it before it is used);
 * 2. the keys it replaces stop signing at that same moment (`retiredAt`), and stay published
 *    until every token they signed has expired (`expiresAt = retiredAt + accessTokenTtl`, plus
 *    a minute for clocks that disagree).
 *
 * Rotation runs under the store's key lock, so nodes (and `tessera admin keys rotate`) rotating
 * at the same moment make one key.
 */
import type { Core } from './context.js';
import type { Actor } from './actor.js';
import { KeysLock, signsAt, type SigningAlg } from './keys.js';
import type { SigningKey } from './model.js';

/** Allowance for node clocks that disagree, ms. */
const clockSkewMs = 60_000;
const day = 24 * 3600 * 1000;

export type KeyStatus = 'pending' | 'signing' | 'retiring' | 'published' | 'withdrawn';

/** A signing key as the operator sees it: never its private half. */
export interface KeyView {
  kid: string;
  alg: string;
  status: KeyStatus;
  createdAt: string;
  activatesAt: string;
  retiredAt: string | null;
  /** When it leaves JWKS (null: not scheduled). */
  withdrawnAt: string | null;
}

export interface Rotation {
  /** The new key. */
  key: KeyView;
  /** The keys it replaces, as they are now scheduled. */
  retired: KeyView[];
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * The keys that sign at `now`, one per algorithm: the newest activated, unretired key (ties: the
 * larger kid), as every node running that algorithm picks it.
 */
export function signingKeys(keys: readonly SigningKey[], now: number): Map<string, SigningKey> {
  const best = new Map<string, SigningKey>();
  for (const key of keys) {
    if (!signsAt(key, now)) continue;
    const current = best.get(key.alg);
    if (!current || key.activatesAt > current.activatesAt || (key.activatesAt === current.activatesAt && key.kid > current.kid)) {
      best.set(key.alg, key);
    }
  }
  return best;
}

/** What a key is doing at `now`: `signing` for the key its algorithm signs with, `published` for another usable one. */
export function keyStatus(key: SigningKey, now: number, signing: ReadonlyMap<string, SigningKey>): KeyStatus {
  if (key.expiresAt !== null && key.expiresAt <= now) return 'withdrawn';
  if (key.activatesAt > now) return 'pending';
  if (signing.get(key.alg)?.kid === key.kid) return 'signing';
  return key.retiredAt !== null && key.retiredAt <= now ? 'retiring' : 'published';
}

/** Every stored key with its status, oldest first. */
export async function listKeys(core: Core): Promise<KeyView[]> {
  await core.keys.reload();
  const now = core.clock.now();
  const records = core.keys.records();
  const signing = signingKeys(records, now);
  return records.map((key) => viewOf(key, now, signing));
}

function viewOf(key: SigningKey, now: number, signing: ReadonlyMap<string, SigningKey>): KeyView {
  return {
    kid: key.kid, alg: key.alg, status: keyStatus(key, now, signing), createdAt: iso(key.createdAt)!,
    activatesAt: iso(key.activatesAt)!, retiredAt: iso(key.retiredAt), withdrawnAt: iso(key.expiresAt),
  };
}

/**
 * The algorithm the service signs with, as the store shows it: that of the most recently
 * activated signing key. (`tessera admin` may run without the service's `signingAlg` setting.)
 */
function storeSigningAlg(keys: readonly SigningKey[], now: number): SigningAlg | undefined {
  let newest: SigningKey | undefined;
  for (const key of signingKeys(keys, now).values()) if (!newest || key.activatesAt > newest.activatesAt) newest = key;
  return newest?.alg as SigningAlg | undefined;
}

export interface RotateOptions {
  actor: Actor;
  /** The new key's algorithm; by default the one the service signs with now (else the `signingAlg` setting). */
  alg?: SigningAlg;
}

/**
 * Rotates now: a new key, published at once and signing after the propagation delay; every
 * other key not yet retired retires at that moment (every node of one service signs with one
 * algorithm). Audited.
 */
export async function rotateSigningKey(core: Core, options: RotateOptions): Promise<Rotation> {
  const { actor } = options;
  const rotation = await core.store.locks.withLock(KeysLock, () => rotateHoldingLock(core, options.alg));
  core.audit.record({
    action: 'key.rotated', outcome: 'success', ...actor,
    detail: { kid: rotation.key.kid, alg: rotation.key.alg, activatesAt: rotation.key.activatesAt, retired: rotation.retired.map((k) => k.kid) },
  });
  return rotation;
}

async function rotateHoldingLock(core: Core, alg: SigningAlg | undefined): Promise<Rotation> {
  await core.keys.reload();
  const now = core.clock.now();
  const activatesAt = now + core.settings.keyPropagationSeconds * 1000;
  const replaced = core.keys.records().filter((key) => key.retiredAt === null);
  const created = await core.keys.createKey(alg ?? storeSigningAlg(replaced, now) ?? core.keys.alg, activatesAt);
  const withdrawAt = activatesAt + core.settings.accessTokenTtl * 1000 + clockSkewMs;
  for (const key of replaced) await core.store.keys.retire(key.kid, activatesAt, withdrawAt);
  await core.keys.reload();
  const signing = signingKeys(core.keys.records(), now);
  const byKid = new Map(core.keys.records().map((key) => [key.kid, key]));
  return {
    key: viewOf(byKid.get(created.kid) ?? created, now, signing),
    retired: replaced.map((key) => viewOf(byKid.get(key.kid) ?? key, now, signing)),
  };
}

/**
 * The scheduled rotation (`keyRotationDays`): rotates when the newest key of the configured
 * algorithm, pending ones included, activated that many days ago. Answers the rotation, if any.
 */
export async function rotateIfDue(core: Core): Promise<Rotation | undefined> {
  const days = core.settings.keyRotationDays;
  if (days === 0) return undefined;
  const due = () => {
    const newest = Math.max(...core.keys.records().filter((k) => k.alg === core.keys.alg && k.retiredAt === null).map((k) => k.activatesAt));
    return core.clock.now() - newest >= days * day;
  };
  await core.keys.reload();
  if (!due()) return undefined;
  const rotation = await core.store.locks.withLock(KeysLock, async () => {
    await core.keys.reload();
    return due() ? rotateHoldingLock(core, core.keys.alg) : undefined;
  });
  if (rotation) {
    core.audit.record({
      action: 'key.rotated', outcome: 'success', actorType: 'system',
      detail: { kid: rotation.key.kid, alg: rotation.key.alg, activatesAt: rotation.key.activatesAt, retired: rotation.retired.map((k) => k.kid), reason: 'schedule' },
    });
  }
  return rotation;
}
