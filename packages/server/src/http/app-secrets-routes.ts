/**
 * The Concur app-secret API (PROTOCOL.md §7, Decision 5): `GET/POST /app-mgmt/v4/{appId}/secrets`,
 * `PATCH/DELETE /app-mgmt/v4/{appId}/secrets/{secretId}` with a SCIM PatchOp body. Every call
 * needs an application token (client_credentials) of that same app, obtained with a secret that is
 * still active, while the app is enabled: 401 otherwise.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Refusals, UuidPattern } from 'tessera-protocol';
import { changeSecretStatus, createSecret, deleteSecret, listSecrets, type SecretActor } from '../core/app-secrets.js';
import type { Core } from '../core/context.js';
import { ConcurError } from '../core/errors.js';
import { parseInput } from '../core/validation.js';
import type { App, SecretStatus } from '../storage/types.js';
import { authenticateBearer } from './bearer.js';
import { jsonBody } from './json.js';

const PatchOpSchemaUrn = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** The SCIM PatchOp body: one or more `replace` of `/status` with `active` or `inactive`. */
export const SecretPatchSchema = z.object({
  schemas: z.array(z.string(), { error: `schemas must be ["${PatchOpSchemaUrn}"]` })
    .refine((s) => s.includes(PatchOpSchemaUrn), `schemas must be ["${PatchOpSchemaUrn}"]`),
  Operations: z.array(z.object({
    op: z.string({ error: 'op is required' }).refine((op) => op.toLowerCase() === 'replace', 'op must be replace'),
    path: z.string({ error: 'path is required' }).refine((p) => /^\/?status$/i.test(p), 'path must be /status'),
    value: z.string({ error: 'value is required' }).transform((v) => v.toLowerCase())
      .refine((v) => v === 'active' || v === 'inactive', 'value must be active or inactive'),
  }), { error: 'Operations must be an array' }).min(1, 'Operations must hold one operation'),
});


export function registerAppSecretsRoutes(app: FastifyInstance, core: Core): void {
  /**
   * The app of the path, when the Bearer token is an application token of that very app, obtained
   * with a secret that is still active, of an app that is still enabled (read now, not from the
   * cache: a leaked token must not mint secrets after the admin reacted); 401 otherwise.
   */
  async function authorizedApp(request: FastifyRequest<{ Params: { appId: string } }>): Promise<{ app: App; actor: SecretActor }> {
    const access = await authenticateBearer(core, request, { fresh: true });
    const appId = request.params.appId.toLowerCase();
    if (access.principal.type !== 'application' || access.principal.id !== appId || !UuidPattern.test(appId) || access.secretId === null) {
      throw new ConcurError(Refusals.appTokenRequired, {
        headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
      });
    }
    const found = await core.store.apps.get(appId);
    if (!found) throw new ConcurError(Refusals.notFound('app'));
    return { app: found, actor: { correlationId: request.id, actorType: 'application', actorId: found.id } };
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
    const patch = parseInput(SecretPatchSchema, jsonBody(request));
    const status = patch.Operations[patch.Operations.length - 1]!.value as SecretStatus;
    return reply.header('cache-control', 'no-store').send(await changeSecretStatus(core, found, request.params.secretId, status, actor));
  });

  app.delete<{ Params: Params }>(`${base}/:secretId`, async (request, reply) => {
    const { app: found, actor } = await authorizedApp(request);
    await deleteSecret(core, found, request.params.secretId, actor);
    return reply.code(204).send();
  });
}
