/** `DELETE /app-mgmt/v0/connections` (PROTOCOL.md §7): revokes every refresh token of the token's principal for its app. */
import type { FastifyInstance } from 'fastify';
import { Paths, Refusals } from 'tessera-protocol';
import type { Core } from '../core/context.js';
import { ConcurError } from '../core/errors.js';
import { authenticateBearer } from './bearer.js';

export function registerConnectionRoutes(app: FastifyInstance, core: Core): void {
  app.delete(Paths.connections, async (request, reply) => {
    const access = await authenticateBearer(core, request);
    if (access.principal.type === 'application') {
      throw new ConcurError(Refusals.appTokenHasNoConnections);
    }
    const revoked = await core.store.connections.revokeByPrincipal(access.clientId, access.principal.id, core.clock.now());
    core.audit.record({
      action: 'connection.revoked', outcome: 'success', correlationId: request.id, appId: access.clientId,
      companyId: access.principal.companyId, principalId: access.principal.id, actorType: access.principal.type,
      actorId: access.principal.id, detail: { revoked, via: Paths.connections },
    });
    return reply.code(200).header('cache-control', 'no-store').send();
  });
}
