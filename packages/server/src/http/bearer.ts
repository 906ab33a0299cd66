/** Bearer access tokens on the protected APIs (RFC 6750): 401 without a valid one (scopes: `core/directory.ts`). */
import type { FastifyRequest } from 'fastify';
import type { Core } from '../core/context.js';
import { Refusals } from 'tessera-protocol';
import { ConcurError } from '../core/errors.js';
import { authenticateAccessToken } from '../core/token-standing.js';
import type { AccessContext } from '../core/tokens.js';

/**
 * The access token of a request, verified and still standing (its app, secret, connection, user
 * and company not ended; `fresh` reads their state now instead of within the cache's staleness).
 */
export async function authenticateBearer(core: Core, request: FastifyRequest, options: { fresh?: boolean } = {}): Promise<AccessContext> {
  const match = request.headers.authorization?.match(/^Bearer\s+([A-Za-z0-9._~+/-]+=*)\s*$/i);
  if (!match) {
    throw new ConcurError(Refusals.bearerTokenRequired, { headers: { 'www-authenticate': 'Bearer realm="tessera"' } });
  }
  return authenticateAccessToken(core, match[1]!, options);
}
