/**
 * Client secret rotation (docs/protocol.md §7, Decision 5), shared by the Concur app-secret API and
 * the admin API: list (never values), create (the value shown once, new secrets Inactive),
 * activate or deactivate within the limits, delete an inactive one. Callers authorize first; the
 * actor is an administrator, the operator, or the app itself (its application token).
 */
import type { Actor } from './actor.js';
import { z } from 'zod';
import { Refusals, UuidPattern } from 'tessera-protocol';
import type { Core } from './context.js';
import { addSecret, describeSecret, setSecretStatus } from './apps.js';
import { ConcurError } from './errors.js';
import type { AccessContext } from './tokens.js';
import { invalidField, parseInput } from './validation.js';
import type { App, SecretStatus } from './model.js';

/** A secret as the APIs show it: `{id, status: "Active"|"Inactive", createdAt, updatedAt}`. */
export type SecretView = ReturnType<typeof describeSecret>;

const secretNotFound = () => new ConcurError(Refusals.notFound('secret'));

export async function listSecrets(core: Core, app: App): Promise<SecretView[]> {
  return (await core.store.apps.listSecrets(app.id)).map(describeSecret);
}

function record(core: Core, app: App, actor: Actor, action: string, secretId: string, extra: Record<string, unknown> = {}) {
  core.audit.record({
    action, outcome: 'success', correlationId: actor.correlationId, appId: app.id, companyId: app.companyId,
    actorType: actor.actorType, actorId: actor.actorId, principalId: actor.actorId, detail: { secretId, ...extra },
  });
}

/** Creates an inactive secret; answers its view and, this once, its value (`secret`). */
export async function createSecret(core: Core, app: App, actor: Actor): Promise<SecretView & { secret: string }> {
  const { secret, value } = await addSecret(core, app.id, 'inactive');
  record(core, app, actor, 'secret.created', secret.id);
  return { ...describeSecret(secret), secret: value };
}

/** Activates or deactivates a secret; 404 when the app has no such secret, 400 past the limits. */
export async function changeSecretStatus(core: Core, app: App, secretId: string, status: SecretStatus, actor: Actor): Promise<SecretView> {
  if (!(await setSecretStatus(core, app.id, secretId.toLowerCase(), status))) throw secretNotFound();
  const secret = (await core.store.apps.listSecrets(app.id)).find((s) => s.id === secretId.toLowerCase());
  if (!secret) throw secretNotFound();
  record(core, app, actor, status === 'active' ? 'secret.activated' : 'secret.deactivated', secret.id);
  return describeSecret(secret);
}

/** Deletes an inactive secret; 404 when missing, 400 ("secret is not inactive") when active. */
export async function deleteSecret(core: Core, app: App, secretId: string, actor: Actor): Promise<void> {
  const id = secretId.toLowerCase();
  if (await core.store.apps.deleteInactiveSecret(app.id, id)) {
    record(core, app, actor, 'secret.deleted', id);
    return;
  }
  const exists = (await core.store.apps.listSecrets(app.id)).some((s) => s.id === id);
  if (!exists) throw secretNotFound();
  throw new ConcurError(Refusals.secretNotInactive);
}

/**
 * The app whose secrets an access token may manage on the Concur app-secret API, and the app as
 * actor: the token must be an application token (client_credentials) of that very app, obtained
 * with a secret that is still active (the caller reads the token's standing fresh, so a leaked
 * token cannot mint secrets after the admin reacted); 401 otherwise, 404 for an app that is gone.
 */
export async function appOfSecretsToken(core: Core, access: AccessContext, appId: string, correlationId: string): Promise<{ app: App; actor: Actor }> {
  const id = appId.toLowerCase();
  if (access.principal.type !== 'application' || access.principal.id !== id || !UuidPattern.test(id) || access.secretId === null) {
    throw new ConcurError(Refusals.appTokenRequired, {
      headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
    });
  }
  const app = await core.store.apps.get(id);
  if (!app) throw new ConcurError(Refusals.notFound('app'));
  return { app, actor: { actorType: 'application', actorId: app.id, correlationId } };
}

const PatchOpSchemaUrn = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** The SCIM PatchOp body of the app-secret API: one or more `replace` of `/status` with `active` or `inactive`. */
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

/** The status a SCIM PatchOp body sets (the last operation wins); 400 naming the fields at fault. */
export function statusOfSecretPatch(input: unknown): SecretStatus {
  const patch = parseInput(SecretPatchSchema, input);
  return patch.Operations[patch.Operations.length - 1]!.value as SecretStatus;
}
