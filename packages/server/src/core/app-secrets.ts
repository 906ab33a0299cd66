/**
 * Client secret rotation (PROTOCOL.md §7, Decision 5), shared by the Concur app-secret API and
 * the admin API: list (never values), create (the value shown once, new secrets Inactive),
 * activate or deactivate within the limits, delete an inactive one. Callers authorize first.
 */
import { Refusals } from 'tessera-protocol';
import type { Core } from './context.js';
import { addSecret, describeSecret, setSecretStatus } from './apps.js';
import { ConcurError } from './errors.js';
import type { App, SecretStatus } from '../storage/types.js';

/** A secret as the APIs show it: `{id, status: "Active"|"Inactive", createdAt, updatedAt}`. */
export type SecretView = ReturnType<typeof describeSecret>;

/** Who changed a secret, for the audit trail. */
export interface SecretActor {
  correlationId: string;
  actorType: 'user' | 'application';
  actorId: string;
}

const secretNotFound = () => new ConcurError(Refusals.notFound('secret'));

export async function listSecrets(core: Core, app: App): Promise<SecretView[]> {
  return (await core.store.apps.listSecrets(app.id)).map(describeSecret);
}

function record(core: Core, app: App, actor: SecretActor, action: string, secretId: string, extra: Record<string, unknown> = {}) {
  core.audit.record({
    action, outcome: 'success', correlationId: actor.correlationId, appId: app.id, companyId: app.companyId,
    actorType: actor.actorType, actorId: actor.actorId, principalId: actor.actorId, detail: { secretId, ...extra },
  });
}

/** Creates an inactive secret; answers its view and, this once, its value (`secret`). */
export async function createSecret(core: Core, app: App, actor: SecretActor): Promise<SecretView & { secret: string }> {
  const { secret, value } = await addSecret(core, app.id, 'inactive');
  record(core, app, actor, 'secret.created', secret.id);
  return { ...describeSecret(secret), secret: value };
}

/** Activates or deactivates a secret; 404 when the app has no such secret, 400 past the limits. */
export async function changeSecretStatus(core: Core, app: App, secretId: string, status: SecretStatus, actor: SecretActor): Promise<SecretView> {
  if (!(await setSecretStatus(core, app.id, secretId.toLowerCase(), status))) throw secretNotFound();
  const secret = (await core.store.apps.listSecrets(app.id)).find((s) => s.id === secretId.toLowerCase());
  if (!secret) throw secretNotFound();
  record(core, app, actor, status === 'active' ? 'secret.activated' : 'secret.deactivated', secret.id);
  return describeSecret(secret);
}

/** Deletes an inactive secret; 404 when missing, 400 ("secret is not inactive") when active. */
export async function deleteSecret(core: Core, app: App, secretId: string, actor: SecretActor): Promise<void> {
  const id = secretId.toLowerCase();
  if (await core.store.apps.deleteInactiveSecret(app.id, id)) {
    record(core, app, actor, 'secret.deleted', id);
    return;
  }
  const exists = (await core.store.apps.listSecrets(app.id)).some((s) => s.id === id);
  if (!exists) throw secretNotFound();
  throw new ConcurError(Refusals.secretNotInactive);
}
