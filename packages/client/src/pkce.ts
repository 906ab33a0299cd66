/**
 * PKCE (RFC 7636) and the random values of the code flow: a verifier of 32 random bytes
 * (43 base64url characters, the RFC's recommendation), its S256 challenge, and unguessable
 * `state` and `nonce` values.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 32 random bytes, base64url: a PKCE verifier, a state or a nonce. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The S256 `code_challenge` of `verifier`: BASE64URL(SHA-256(ASCII(verifier))), RFC 7636 §4.2. */
export function codeChallengeS256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** Compares two strings in constant time (the `state` a redirect returned with the one sent). */
export function sameSecret(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right);
}
