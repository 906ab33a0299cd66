/** Liveness and readiness for load balancers and orchestrators. */
import type { FastifyInstance } from 'fastify';
import type { Core } from '../core/context.js';

export function registerHealthRoutes(app: FastifyInstance, core: Core): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (request, reply) => {
    try {
      await core.store.companies.count();
      return { status: 'ready', store: core.store.kind, ...(core.settings.emulator ? { emulator: true } : {}) };
    } catch (err) {
      request.log.error({ err }, 'store not ready');
      return reply.code(503).send({ status: 'unavailable' });
    }
  });
}
