/** `request.datacenter`: the datacenter whose listener a request came in on (docs/protocol.md §10). */
import type { FastifyInstance } from 'fastify';
import { currentDatacenter } from '../core/datacenters.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The datacenter's name (`eu2`); undefined with one datacenter (no `datacenters` setting). */
    datacenter: string | undefined;
  }
}

/** `served`: whether the `datacenters` setting names any; without it the property stays undefined and no hook runs. */
export function installDatacenterDecoration(app: FastifyInstance, served: boolean): void {
  app.decorateRequest('datacenter', undefined);
  if (!served) return;
  app.addHook('onRequest', (request, _reply, done) => {
    request.datacenter = currentDatacenter.getStore()?.name;
    done();
  });
}
