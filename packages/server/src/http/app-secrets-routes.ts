/**
 * The Concur app-secret API (docs/protocol.md §7, Decision 5): `GET/POST /app-mgmt/v4/{appId}/secrets`,
 * `PATCH/DELETE /app-mgmt/v4/{appId}/secrets/{secretId}` with a SCIM PatchOp body. Every call
 * needs an application token (client_credentials) of that same app, obtained with a secret that is
 * still active, while the app is enabled: 401 otherwise.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { appOfSecretsToken, changeSecretStatus, createSecret, deleteSecret, listSecrets, statusOfSecretPatch } from '../core/app-secrets.js';
import type { Core } from '../core/context.js';
import { authenticateBearer } from './bearer.js';
import { jsonBody } from './json.js';

export function registerAppSecretsRoutes(app: FastifyInstance, core: Core): void {
  /** The app of the path and the app as actor, when the Bearer token may manage its secrets (`appOfSecretsToken`). */
  async function authorizedApp(request: FastifyRequest<{ Params: { appId: string } }>) {
    const access = await authenticateBearer(core, request, { fresh: true });
    return appOfSecretsToken(core, access, request.params.appId, request.id);
  }

  // SCIM clients send `application/scim+json` (RFC 7644 §3.1); it is JSON.
  app.addContentTypeParser('application/scim+json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));

  const base = '/app-mgmt/v4/:appId/secrets';
  type Params = { appId: string; secretId: string };

  app.get<{ Params: { appId: string } }>(base, async (request, reply) => {
    const { app: found } = await authorizedApp(request);
    return reply.header('cache-control', 'no-store').send(await listSecrets(core, found));
  });

  app.post<{ Params: { appId: string } }>(base, async (request, reply) => {
    const { app: found, actor } = await authorizedApp(request);
    return reply.code(200).header('cache-control', 'no-store').send(await createSecret(core, found, actor));
  });

  app.patch<{ Params: Params }>(`${base}/:secretId`, async (request, reply) => {
    const { app: found, actor } = await authorizedApp(request);
    const status = statusOfSecretPatch(jsonBody(request));
    return reply.header('cache-control', 'no-store').send(await changeSecretStatus(core, found, request.params.secretId, status, actor));
  });

  app.delete<{ Params: Params }>(`${base}/:secretId`, async (request, reply) => {
    const { app: found, actor } = await authorizedApp(request);
    await deleteSecret(core, found, request.params.secretId, actor);
    return reply.code(204).send();
  });
}
