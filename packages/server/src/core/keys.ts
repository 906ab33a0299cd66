/**
 * Signing keys: generated in-process, private halves encrypted at rest with the server key,
 * published in JWKS from creation (before they sign) until every token they signed has expired
 * (PROTOCOL.md Decision 9). Signing uses node:crypto directly: it is several times faster than
 * the generic WebCrypto path, and the JWS compact form is a few lines (RFC 7515 §7.1).
 */
import { createHash, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import type { Clock } from './clock.js';
import type { ServerKeys } from './secrets.js';
import type { KeyRepository, SigningKey } from '../storage/types.js';

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

export class KeyManager {
  private keys: LoadedKey[] = [];

  constructor(
    private readonly repository: KeyRepository,
    private readonly serverKeys: ServerKeys,
    private readonly clock: Clock,
    readonly alg: SigningAlg,
  ) {}

  /** Loads the stored keys and makes sure one of the configured algorithm can sign now. */
  async init(): Promise<void> {
    await this.reload();
    if (!this.activeKey()) {
      await this.createKey(this.alg, this.clock.now());
      await this.reload();
    }
  }

  async reload(): Promise<void> {
    const records = await this.repository.list();
    this.keys = records.map((record) => {
      const privateKey = createPrivateKey({ key: this.serverKeys.decrypt(record.privateKeyEnc), format: 'der', type: 'pkcs8' });
      const header = { alg: record.alg, typ: 'JWT', kid: record.kid };
      return { record, privateKey, encodedHeader: b64(JSON.stringify(header)) };
    });
  }

  /** Creates a key, published at once and signing from `activatesAt`. */
  async createKey(alg: SigningAlg, activatesAt: number): Promise<SigningKey> {
    const { privateKey, publicKey } = generate(alg);
    const now = this.clock.now();
    const jwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
    const existing = new Set(this.keys.map((k) => k.record.kid));
    let kid = String(Math.floor(now / 1000));
    for (let n = 1; existing.has(kid); n++) kid = `${Math.floor(now / 1000)}-${n}`;
    const record: SigningKey = {
      kid, alg, publicJwk: { ...jwk, kid, alg, use: 'sig' },
      privateKeyEnc: this.serverKeys.encrypt(privateKey.export({ format: 'der', type: 'pkcs8' })),
      createdAt: now, activatesAt, retiredAt: null, expiresAt: null,
    };
    await this.repository.add(record);
    return record;
  }

  private activeKey(): LoadedKey | undefined {
    const now = this.clock.now();
    let best: LoadedKey | undefined;
    for (const key of this.keys) {
      const r = key.record;
      if (r.alg !== this.alg || r.retiredAt !== null || r.activatesAt > now) continue;
      if (!best || r.activatesAt > best.record.activatesAt) best = key;
    }
    return best;
  }

  /** Signs a JWT with the newest active key of the configured algorithm. */
  sign(payload: Record<string, unknown>): string {
    const key = this.activeKey();
    if (!key) throw new Error(`no active ${this.alg} signing key`);
    const input = `${key.encodedHeader}.${b64(JSON.stringify(payload))}`;
    return `${input}.${signBytes(key.record.alg, input, key.privateKey).toString('base64url')}`;
  }

  /** The RFC 7517 key set: every key not yet past its publication end. */
  jwks(): { keys: JWK[] } {
    const now = this.clock.now();
    return {
      keys: this.keys
        .filter((k) => k.record.expiresAt === null || k.record.expiresAt > now)
        .map((k) => k.record.publicJwk as JWK),
    };
  }
}
