/**
 * Keyed digests, random credentials, password hashing and encryption at rest.
 * Tokens and secrets are high-entropy random values, so a keyed SHA-256 digest (HMAC) is
 * the right store form and fast; passwords typed by people get scrypt (docs/architecture.md "Lessons from outside verification").
 */
import {
  createCipheriv, createDecipheriv, createHmac, createSecretKey, hkdfSync, randomBytes, randomInt, randomUUID, scrypt as scryptCb,
  timingSafeEqual, type KeyObject, type ScryptOptions,
} from 'node:crypto';

const scrypt = (password: string, salt: Buffer, keylen: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) =>
    scryptCb(password, salt, keylen, options, (error, key) => (error ? reject(error) : resolve(key))));

/** Sub-keys derived from the one server key, so a digest key never doubles as an encryption key. */
export class ServerKeys {
  readonly digestKey: Buffer;
  readonly encryptionKey: Buffer;
  /** The digest key imported once: an HMAC keyed with a KeyObject skips copying the key on every digest. */
  private readonly digestKeyObject: KeyObject;

  constructor(secret: string) {
    const ikm = Buffer.from(secret, 'utf8');
    this.digestKey = Buffer.from(hkdfSync('sha256', ikm, 'tessera', 'digest-v1', 32));
    this.encryptionKey = Buffer.from(hkdfSync('sha256', ikm, 'tessera', 'encryption-v1', 32));
    this.digestKeyObject = createSecretKey(this.digestKey);
  }

  /** HMAC-SHA256 of a token or secret: the only form in which they are stored. */
  digest(value: string): string {
    return createHmac('sha256', this.digestKeyObject).update(value).digest('base64url');
  }

  /** AES-256-GCM, output `iv.tag.ciphertext` in base64url. */
  encrypt(plain: Buffer | string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.encryptionKey, iv);
    const data = Buffer.concat([cipher.update(plain), cipher.final()]);
    return [iv, cipher.getAuthTag(), data].map((b) => b.toString('base64url')).join('.');
  }

  decrypt(sealed: string): Buffer {
    const [iv, tag, data] = sealed.split('.').map((part) => Buffer.from(part, 'base64url'));
    if (!iv || !tag || !data) throw new Error('malformed sealed value');
    const decipher = createDecipheriv('aes-256-gcm', this.encryptionKey, iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(data), decipher.final()]);
  }
}

/** Constant-time comparison of two strings (digests). */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Lower-case alphanumeric random string (Concur's request token and OTP shapes). */
export function randomAlphanumeric(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** A company request token as Concur shows them: `at-` and 30 characters (~155 bits). */
export const newRequestToken = (): string => `at-${randomAlphanumeric(30)}`;
/** Client secrets and refresh tokens are UUIDs in Concur (122 random bits). */
export const newClientSecret = (): string => randomUUID();
export const newRefreshToken = (): string => randomUUID();

const scryptParams = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

/** scrypt password hash, `scrypt$N$r$p$salt$hash`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, 32, scryptParams);
  return ['scrypt', scryptParams.N, scryptParams.r, scryptParams.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n), r: Number(r), p: Number(p), maxmem: scryptParams.maxmem,
  });
  return timingSafeEqual(actual, expected);
}

/** A hash that matches no password, verified against when a login id is unknown so timing does not tell. */
let decoy: Promise<string> | undefined;
export const decoyPasswordHash = (): Promise<string> => (decoy ??= hashPassword(randomUUID()));
