/**
 * Signing keys: generated in-process, private halves encrypted at rest with the server key,
 * published in JWKS from creation (before they sign) until every token they signed has expired
 * (docs/protocol.md Decision 9). Signing uses node:crypto directly: it is several times faster than
 * the generic WebCrypto path, and the JWS compact form is a few lines (RFC 7515 §7.1).
 */
import { createHash, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import type { Clock } from './clock.js';
import type { ServerKeys } from './secrets.js';
import type { SigningKey } from './model.js';
import type { KeyRepository, LockRepository } from '../storage/types.js';

export type SigningAlg = 'RS256' | 'ES256' | 'EdDSA';

interface LoadedKey {
  record: SigningKey;
  privateKey: KeyObject;
  /** base64url of the protected header, computed once per key. */
  encodedHeader: string;
}

const b64 = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

function generate(alg: SigningAlg): { privateKey: KeyObject; publicKey: KeyObject } {
  if (alg === 'RS256') return generateKeyPairSync('rsa', { modulusLength: 2048 });
  if (alg === 'ES256') return generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return generateKeyPairSync('ed25519');
}

function signBytes(alg: string, data: string, key: KeyObject): Buffer {
  if (alg === 'RS256') return sign('sha256', Buffer.from(data), key);
  if (alg === 'ES256') return sign('sha256', Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' });
  return sign(null, Buffer.from(data), key);
}

/** The OIDC `at_hash`: left half of the access token's hash, base64url (OIDC Core §3.1.3.6). */
export function accessTokenHash(alg: string, accessToken: string): string {
  const digest = createHash(alg === 'EdDSA' ? 'sha512' : 'sha256').update(accessToken).digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

/** The lock under which keys are created and rotated, so nodes starting or rotating together make one key. */
export const KeysLock = 'signing-keys';

/** Whether a key signs at `now`: activated and not yet retired (Decision 9). */
export const signsAt = (key: SigningKey, now: number): boolean =>
  key.activatesAt <= now && (key.retiredAt === null || key.retiredAt > now);

export class KeyManager {
  private keys: LoadedKey[] = [];
  private loadedAt = 0;
  /** The kid this manager made last (two keys made within one second get distinct kids). */
  private lastCreatedKid: string | undefined;
  private published: { at: number; until: number; generation: number; body: string; etag: string } | undefined;
  /** Changes whenever the set of keys or their dates change (verifiers rebuild their key set then). */
  generation = 0;

  constructor(
    private readonly repository: KeyRepository,
    private readonly serverKeys: ServerKeys,
    private readonly clock: Clock,
    readonly alg: SigningAlg,
  ) {}

  /**
   * Loads the stored keys and makes sure one of the configured algorithm can sign now (unless
   * `createIfMissing` is false: tools that never sign). With `locks`, nodes starting together on
   * an empty store take turns, so they create one key.
   */
  async init(locks?: LockRepository, options: { createIfMissing?: boolean } = {}): Promise<void> {
    const ensure = async () => {
      await this.reload();
      if (options.createIfMissing !== false && !this.activeKey()) {
        await this.createKey(this.alg, this.clock.now());
        await this.reload();
      }
    };
    await (locks ? locks.withLock(KeysLock, ensure) : ensure());
  }

  /** Reads the keys from the store again (other nodes may have rotated); private keys already loaded are reused. */
  async reload(): Promise<void> {
    const records = await this.repository.list();
    const loaded = new Map(this.keys.map((key) => [key.record.kid, key]));
    let changed = records.length !== this.keys.length;
    this.keys = records.map((record) => {
      const known = loaded.get(record.kid);
      if (known && known.record.privateKeyEnc === record.privateKeyEnc) {
        if (known.record.retiredAt !== record.retiredAt || known.record.expiresAt !== record.expiresAt
          || known.record.activatesAt !== record.activatesAt) changed = true;
        return { ...known, record };
      }
      changed = true;
      const privateKey = createPrivateKey({ key: this.serverKeys.decrypt(record.privateKeyEnc), format: 'der', type: 'pkcs8' });
      const header = { alg: record.alg, typ: 'JWT', kid: record.kid };
      return { record, privateKey, encodedHeader: b64(JSON.stringify(header)) };
    });
    this.loadedAt = Date.now();
    if (changed) this.generation++;
  }

  /**
   * Reloads unless the keys were loaded less than `minAgeMs` ago (a token with an unknown `kid`:
   * another node may have made the key). Answers whether it reloaded.
   */
  async reloadIfOlderThan(minAgeMs: number): Promise<boolean> {
    if (Date.now() - this.loadedAt < minAgeMs) return false;
    await this.reload();
    return true;
  }

  /** The stored keys as last loaded, oldest first. */
  records(): SigningKey[] {
    return this.keys.map((key) => key.record);
  }

  /** Creates a key, published at once and signing from `activatesAt`. */
  async createKey(alg: SigningAlg, activatesAt: number): Promise<SigningKey> {
    const { privateKey, publicKey } = generate(alg);
    const now = this.clock.now();
    const jwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
    const existing = new Set(this.keys.map((k) => k.record.kid));
    let kid = String(Math.floor(now / 1000));
    for (let n = 1; existing.has(kid) || kid === this.lastCreatedKid; n++) kid = `${Math.floor(now / 1000)}-${n}`;
    this.lastCreatedKid = kid;
    const record: SigningKey = {
      kid, alg, publicJwk: { ...jwk, kid, alg, use: 'sig' },
      privateKeyEnc: this.serverKeys.encrypt(privateKey.export({ format: 'der', type: 'pkcs8' })),
      createdAt: now, activatesAt, retiredAt: null, expiresAt: null,
    };
    await this.repository.add(record);
    return record;
  }

  /** The newest key of the configured algorithm that signs now (ties: the larger kid, so every node picks the same). */
  private activeKey(): LoadedKey | undefined {
    const now = this.clock.now();
    let best: LoadedKey | undefined;
    for (const key of this.keys) {
      const r = key.record;
      if (r.alg !== this.alg || !signsAt(r, now)) continue;
      if (!best || r.activatesAt > best.record.activatesAt
        || (r.activatesAt === best.record.activatesAt && r.kid > best.record.kid)) best = key;
    }
    return best;
  }

  /** The record of the key that signs now, if any. */
  signingKey(): SigningKey | undefined {
    return this.activeKey()?.record;
  }

  /** Signs a JWT with the newest active key of the configured algorithm. */
  sign(payload: Record<string, unknown>): string {
    const key = this.activeKey();
    if (!key) throw new Error(`no active ${this.alg} signing key`);
    const input = `${key.encodedHeader}.${b64(JSON.stringify(payload))}`;
    return `${input}.${signBytes(key.record.alg, input, key.privateKey).toString('base64url')}`;
  }

  /** The RFC 7517 key set: every key not yet past its publication end, pending ones included (publish before use). */
  jwks(): { keys: JWK[] } {
    const now = this.clock.now();
    return {
      keys: this.keys
        .filter((k) => k.record.expiresAt === null || k.record.expiresAt > now)
        .map((k) => k.record.publicJwk as JWK),
    };
  }

  /** The JWKS document as served, with a strong ETag; rebuilt when the keys change or one is withdrawn. */
  jwksDocument(): { body: string; etag: string } {
    const now = this.clock.now();
    const cached = this.published;
    if (cached && cached.generation === this.generation && now >= cached.at && now < cached.until) return cached;
    const body = JSON.stringify(this.jwks());
    const until = Math.min(...this.keys.map((k) => (k.record.expiresAt !== null && k.record.expiresAt > now ? k.record.expiresAt : Infinity)));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    this.published = { at: now, until, generation: this.generation, body, etag };
    return this.published;
  }
}
