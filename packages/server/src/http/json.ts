/** JSON request bodies for the admin API and the app-secret API: anything but JSON is code 135. */
import type { FastifyRequest } from 'fastify';
import { Refusals } from 'tessera-protocol';
import { ConcurError } from '../core/errors.js';
import { UnparsedBody } from './form.js';

const jsonTypes = new Set(['application/json', 'application/scim+json']);

/** The parsed JSON body of a request, or `{}` when it has none; 135 for any other media type. */
export function jsonBody(request: FastifyRequest): unknown {
  if (request.body === undefined || request.body === null) return {};
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (request.body === UnparsedBody || !type || !jsonTypes.has(type)) {
    throw new ConcurError(Refusals.jsonBodyRequired);
  }
  return request.body;
}
