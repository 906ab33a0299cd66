/**
 * Reading JWT claims without verifying them. A client needs `sub`, `concur.type` and
 * `concur.scopes` from the tokens it was just handed by the token service over TLS
 * (docs/protocol.md §1, §8); verification is the API's job.
 */

/** The claims of a JWT, or undefined when `token` is not a decodable JWT. */
export function decodeJwtClaims(token: string | undefined): Record<string, unknown> | undefined {
  const payload = token?.split('.')[1];
  if (!payload) return undefined;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '=')), (c) => c.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === 'object' && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
