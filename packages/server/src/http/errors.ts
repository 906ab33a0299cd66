/**
 * One place maps every failure to the Concur error body (docs/protocol.md §3): a `ConcurError` as it
 * says; Fastify's own request errors (bad media type, body too large, bad JSON) as 135/413;
 * anything unexpected as a 500 whose body names only the correlation id.
 */
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { ConcurCodes, CorrelationHeader, Refusals } from 'tessera-protocol';
import { ConcurError } from '../core/errors.js';

const requestFormatErrors = new Set([
  'FST_ERR_CTP_INVALID_MEDIA_TYPE', 'FST_ERR_CTP_INVALID_CONTENT_LENGTH', 'FST_ERR_CTP_EMPTY_JSON_BODY',
  'FST_ERR_CTP_INVALID_JSON_BODY', 'FST_ERR_CTP_EMPTY_TYPE', 'FST_ERR_CTP_INVALID_TYPE', 'FST_ERR_VALIDATION',
  'FST_ERR_CTP_INVALID_CHARSET',
]);

/** Turns any thrown value into the `ConcurError` to answer with. */
export function toConcurError(error: unknown): ConcurError {
  if (error instanceof ConcurError) return error;
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new ConcurError(413);
  if (fastifyError.code && requestFormatErrors.has(fastifyError.code)) {
    // The code, not the message: Fastify's messages quote what the caller sent (its media type).
    return new ConcurError(135, { detail: fastifyError.code });
  }
  if (fastifyError.statusCode === 400 && error instanceof SyntaxError) return new ConcurError(135, { detail: 'malformed JSON' });
  return new ConcurError(500, { detail: error instanceof Error ? error.stack ?? error.message : String(error) });
}

/**
 * The client closed the connection before its request was read: nothing failed here, and nobody
 * is left to answer. Decided from the request alone, never from the error: a store whose socket
 * resets (PostgreSQL's ECONNRESET) is an outage to log and audit as a 500, not a client abort.
 */
export function isClientAbort(request: FastifyRequest): boolean {
  const raw = request.raw;
  return raw.readableAborted || (raw.socket?.destroyed === true && !raw.complete);
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    if (isClientAbort(request)) {
      request.log.info('request aborted by the client');
      void reply.code(400).header('cache-control', 'no-store').send(new ConcurError(Refusals.requestAborted).toBody());
      return;
    }
    const concurError = toConcurError(error);
    if (concurError.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: concurError.code, detail: concurError.detail }, concurError.description);
    void reply.code(concurError.status).headers({ 'cache-control': 'no-store', ...concurError.headers }).send(concurError.toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).header('cache-control', 'no-store').send(
      new ConcurError(Refusals.noRoute(request.method, request.url.split('?')[0]!)).toBody());
  });
}

/**
 * Requests Node's HTTP parser rejects before Fastify sees them (bad framing, duplicate
 * Content-Length…) still get a Concur-format 400 with a correlation id, written on the raw
 * socket; a request that did not arrive in time (`headersTimeoutSeconds`,
 * `requestTimeoutSeconds`) gets a 408. Either way the socket is then closed, even if the peer
 * never closes its side. `log` must carry no correlation id of its own (the root logger): the
 * line gets this one, once.
 */
export function clientErrorResponse(
  error: NodeJS.ErrnoException,
  socket: Duplex,
  log: { info(obj: object, msg: string): void },
  headers: Readonly<Record<string, string>> = {},
): void {
  // A client that closed its connection mid-request (HPE_INVALID_EOF_STATE) is gone, not malformed:
  // nothing to answer, but the socket must still be closed (a clientError handler owns it).
  if (error.code === 'ECONNRESET' || error.code === 'HPE_INVALID_EOF_STATE' || !socket.writable) {
    socket.destroy();
    return;
  }
  const correlationId = randomUUID();
  const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  log.info({ correlationId, code: error.code }, timedOut ? 'request timed out' : 'malformed HTTP request');
  const concurError = timedOut ? new ConcurError(ConcurCodes.RequestTimeout) : new ConcurError(Refusals.malformedHttpRequest);
  const body = JSON.stringify(concurError.toBody());
  socket.end([
    `HTTP/1.1 ${timedOut ? '408 Request Timeout' : '400 Bad Request'}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `${CorrelationHeader}: ${correlationId}`,
    'Cache-Control: no-store',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    'Connection: close',
    '',
    body,
  ].join('\r\n'));
  setTimeout(() => socket.destroy(), 1000).unref();
}
