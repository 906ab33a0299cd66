/**
 * `concur-correlationid` (docs/protocol.md §9): the client's value is echoed when it sends a sane one,
 * otherwise a UUID is made; it is the request id, so it is on every log line of the request and
 * on every response.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { CorrelationHeader } from 'tessera-protocol';

const acceptable = /^[\x21-\x7e][\x20-\x7e]{0,127}$/;

export function correlationIdFor(request: IncomingMessage): string {
  const sent = request.headers[CorrelationHeader];
  return typeof sent === 'string' && acceptable.test(sent) ? sent : randomUUID();
}

export function installCorrelation(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    void reply.header(CorrelationHeader, request.id);
    done();
  });
}
