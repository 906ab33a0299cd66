/**
 * `application/x-www-form-urlencoded` bodies (the only format the token endpoint takes).
 * A parameter sent twice is refused (RFC 6749 §3.2), as is anything that is not a form.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Refusals } from 'tessera-protocol';
import { ConcurError } from '../core/errors.js';

/** Marks a body whose content type the server does not parse. */
export const UnparsedBody = Symbol('unparsed body');

export function parseForm(text: string): Record<string, string> {
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, value] of new URLSearchParams(text)) {
    if (key in params) throw new ConcurError(Refusals.repeatedParameter(key));
    params[key] = value;
  }
  return params;
}

export function installFormParsing(app: FastifyInstance, bodyLimit: number): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit }, (_request, body, done) => {
    try {
      done(null, parseForm(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  // Other media types reach the routes unparsed, so each route answers in the Concur format.
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, _body, done) => done(null, UnparsedBody));
}

/** The form body of a request, or 135 when the request is not a form POST. */
export function formBody(request: FastifyRequest): Record<string, string> {
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded' || typeof request.body !== 'object' || request.body === null) {
    throw new ConcurError(Refusals.formBodyRequired);
  }
  return request.body as Record<string, string>;
}
