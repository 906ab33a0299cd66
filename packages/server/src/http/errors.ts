/**
 * One place maps every failure to the Concur error body (PROTOCOL.md §3): a `ConcurError` as it
 * says; Fastify's own request errors (bad media type, body too large, bad JSON) as 135/413;
 * anything unexpected as a 500 whose body names only the correlation id.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
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
    return new ConcurError(135, { detail: fastifyError.message });
  }
  if (fastifyError.statusCode === 400 && error instanceof SyntaxError) return new ConcurError(135, { detail: 'malformed JSON' });
  return new ConcurError(500, { detail: error instanceof Error ? error.stack ?? error.message : String(error) });
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const concurError = toConcurError(error);
    if (concurError.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: concurError.code, detail: concurError.detail }, concurError.description);
    void reply.code(concurError.status).headers({ 'cache-control': 'no-store', ...concurError.headers }).send(concurError.toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).header('cache-control', 'no-store').send(
      new ConcurError(404, { description: `no resource at ${request.method} ${request.url.split('?')[0]}` }).toBody());
  });
}
