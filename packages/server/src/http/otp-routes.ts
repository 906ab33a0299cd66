/** `POST /oauth2/v0/otp` (docs/protocol.md §5): translates the form; the rules live in core/otp.ts. */
import type { FastifyInstance } from 'fastify';
import { Paths, Refusals } from 'tessera-protocol';
import type { Core } from '../core/context.js';
import { ConcurError } from '../core/errors.js';
import { recordOtpRefusal, requestOtp } from '../core/otp.js';
import { isClientAbort, toConcurError } from './errors.js';
import { formBody } from './form.js';

/** Names that must never travel in a query string (docs/protocol.md §2; the same rule as `/token`). */
const credentialNames = ['client_id', 'client_secret', 'channel_handle', 'otp'];

export function registerOtpRoutes(app: FastifyInstance, core: Core): void {
  app.post(Paths.otp, {
    onError: (request, _reply, error, done) => {
      if (!isClientAbort(request)) recordOtpRefusal(core, toConcurError(error), { correlationId: request.id, ip: request.ip });
      done();
    },
  }, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    if (credentialNames.some((name) => name in query)) throw new ConcurError(Refusals.credentialsInQuery);
    await requestOtp(core, {
      params: formBody(request), authorization: request.headers.authorization, meta: { correlationId: request.id, ip: request.ip },
    });
    return reply.header('cache-control', 'no-store').send({ message: 'otp sent' });
  });
}
