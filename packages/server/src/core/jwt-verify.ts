/**
 * Verification of the JWTs this service signs (RFC 7515 §5.2, RFC 7519 §7.2) with node:crypto.
 * jose goes through WebCrypto, which costs about ten times as much for RS256 and twice as much
 * for ES256 on every protected API call; signing already uses node:crypto (keys.ts).
 *
 * Strict by construction, and never wider than jose was configured to be:
 * - compact serialization only, three base64url segments, bounded size;
 * - `alg` from an allow-list and equal to the algorithm of the key its `kid` names (no `none`,
 *   no HMAC, no key confusion); an unknown `kid` is `ERR_JWKS_NO_MATCHING_KEY`;
 * - any `crit` header (no extension is understood) or `b64: false` is refused;
 * - ES256 signatures in the JWS (IEEE P1363) form only, 64 bytes;
 * - header and payload must be JSON objects; `iss` must match, `exp` must be present and in the
 *   future, `nbf` (when present) reached, `iat` (when present) a number. No clock tolerance.
 */
import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';

export type JwtAlg = 'RS256' | 'ES256' | 'EdDSA';

export interface VerifierKey {
  alg: JwtAlg;
  key: KeyObject;
}

/** Public keys by `kid`. */
export type VerifierKeySet = ReadonlyMap<string, VerifierKey>;

export interface VerifyOptions {
  issuer: string;
  /** The current time, epoch milliseconds. */
  now: number;
  algorithms: readonly JwtAlg[];
}

/** A refused token; `code` follows jose's names, so callers can tell an unknown key apart. */
export class JwtError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'JwtError';
  }
}

const maxTokenLength = 16 * 1024;
const segment = /^[A-Za-z0-9_-]+$/;

/** Whether a public key is of the kind `alg` requires (RSA of at least 2048 bits, P-256, Ed25519). */
function fits(alg: JwtAlg, key: KeyObject): boolean {
  const details = key.asymmetricKeyDetails ?? {};
  if (alg === 'RS256') return key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= 2048;
  if (alg === 'ES256') return key.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1';
  return key.asymmetricKeyType === 'ed25519';
}

/** The verifier's key set from an RFC 7517 key set; keys without a `kid`, of another algorithm or kind, are left out. */
export function verifierKeySet(jwks: { keys: ReadonlyArray<Record<string, unknown>> }): VerifierKeySet {
  const set = new Map<string, VerifierKey>();
  for (const jwk of jwks.keys) {
    const { kid, alg } = jwk;
    if (typeof kid !== 'string' || (alg !== 'RS256' && alg !== 'ES256' && alg !== 'EdDSA')) continue;
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicPart } = jwk;
    const key = createPublicKey({ key: publicPart as JsonWebKey, format: 'jwk' });
    if (fits(alg, key)) set.set(kid, { alg, key });
  }
  return set;
}

function decodeObject(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new JwtError('ERR_JWS_INVALID', `${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new JwtError('ERR_JWS_INVALID', `${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

function checkSignature(alg: JwtAlg, key: KeyObject, data: Buffer, signature: Buffer): boolean {
  if (alg === 'RS256') return verify('sha256', data, key, signature);
  if (alg === 'ES256') return signature.length === 64 && verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  return verify(null, data, key, signature);
}

/** Verifies a compact JWS against `keys` and validates its claims; answers the payload or throws `JwtError`. */
export function verifyJwt(token: string, keys: VerifierKeySet, options: VerifyOptions): Record<string, unknown> {
  if (typeof token !== 'string' || token.length > maxTokenLength) throw new JwtError('ERR_JWS_INVALID', 'not a token');
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((part) => segment.test(part))) throw new JwtError('ERR_JWS_INVALID', 'not a compact JWS');
  const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string];

  const header = decodeObject(encodedHeader, 'header');
  if (header.crit !== undefined) throw new JwtError('ERR_JOSE_NOT_SUPPORTED', 'critical header parameters are not supported');
  if (header.b64 !== undefined && header.b64 !== true) throw new JwtError('ERR_JOSE_NOT_SUPPORTED', 'unencoded payloads are not supported');
  const { alg, kid } = header;
  if (typeof alg !== 'string' || !(options.algorithms as readonly string[]).includes(alg)) {
    throw new JwtError('ERR_JOSE_ALG_NOT_ALLOWED', 'algorithm not allowed');
  }
  if (typeof kid !== 'string') throw new JwtError('ERR_JWS_INVALID', 'no kid');
  const key = keys.get(kid);
  if (!key || key.alg !== alg) throw new JwtError('ERR_JWKS_NO_MATCHING_KEY', 'no key matches the kid and alg');

  const data = Buffer.from(`${encodedHeader}.${encodedPayload}`, 'ascii');
  if (!checkSignature(key.alg, key.key, data, Buffer.from(encodedSignature, 'base64url'))) {
    throw new JwtError('ERR_JWS_SIGNATURE_VERIFICATION_FAILED', 'signature verification failed');
  }

  const payload = decodeObject(encodedPayload, 'payload');
  const now = Math.floor(options.now / 1000);
  if (payload.iss !== options.issuer) throw new JwtError('ERR_JWT_CLAIM_VALIDATION_FAILED', 'unexpected "iss" claim value');
  const { exp, nbf, iat } = payload;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw new JwtError('ERR_JWT_CLAIM_VALIDATION_FAILED', '"exp" claim missing or not a number');
  if (exp <= now) throw new JwtError('ERR_JWT_EXPIRED', '"exp" claim timestamp check failed');
  if (nbf !== undefined && (typeof nbf !== 'number' || !Number.isFinite(nbf))) throw new JwtError('ERR_JWT_CLAIM_VALIDATION_FAILED', '"nbf" claim must be a number');
  if (typeof nbf === 'number' && nbf > now) throw new JwtError('ERR_JWT_CLAIM_VALIDATION_FAILED', '"nbf" claim timestamp check failed');
  if (iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat))) throw new JwtError('ERR_JWT_CLAIM_VALIDATION_FAILED', '"iat" claim must be a number');
  return payload;
}
