/** `DELETE /app-mgmt/v0/connections` (docs/protocol.md §7): see `revokeConnectionsOfToken`. */
import type { FastifyInstance } from 'fastify';
import { Paths } from 'tessera-protocol';
import { revokeConnectionsOfToken } from '../core/connections.js';
import type { Core } from '../core/context.js';
import { authenticateBearer } from './bearer.js';

export function registerConnectionRoutes(app: FastifyInstance, core: Core): void {
  app.delete(Paths.connections, async (request, reply) => {
    await revokeConnectionsOfToken(core, await authenticateBearer(core, request), request.id);
    return reply.code(200).header('cache-control', 'no-store').send();
  });
}
