/**
 * Web applications (OAuth 2.0 Application Management, docs/protocol.md §12) and their client
 * secrets (§7, Decision 5). A secret's value exists only in the answer that creates it.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { GrantTypes, Refusals, ScopePattern } from 'tessera-protocol';
import type { Core } from './context.js';
import { ConcurError } from './errors.js';
import { newClientSecret } from './secrets.js';
import { invalidInput } from './validation.js';
import type { App, AppSecret } from './model.js';
import type { SecretLimits } from '../storage/types.js';

export const MaxSecretsPerApp = 5;
export const MaxActiveSecretsPerApp = 2;
/** Decision 5's limits, as the store keeps them atomically. */
const secretLimits: SecretLimits = { maxSecrets: MaxSecretsPerApp, maxActive: MaxActiveSecretsPerApp };

const text = (max: number) =>
  z.string({ error: 'is required' }).trim().min(1, 'is required').max(max, `must be at most ${max} characters`);

/** Hosts where a Connect URL may use plain http: the administrator's own machine (RFC 8252 §7.3's reasoning). */
const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * A Connect URL (docs/protocol.md §12 "App Center"): absolute https (http only on a loopback host),
 * without credentials or fragment, since the request token rides in its query. Empty means none.
 */
export const ConnectUrlSchema = z.union([
  z.literal('').transform(() => null),
  z.null(),
  z.string().trim().max(2000, 'must be at most 2000 characters').refine((value) => {
    if (!URL.canParse(value)) return false;
    const url = new URL(value);
    if (url.username || url.password || url.hash) return false;
    return url.protocol === 'https:' || (url.protocol === 'http:' && loopbackHosts.has(url.hostname));
  }, 'must be an absolute https URL (http only on localhost), without credentials or fragment'),
], { error: 'must be a URL or null' });

/** Schemes a browser runs or renders in place rather than hands to an app: never a redirect URI. */
const activeSchemes = new Set(['javascript:', 'data:', 'vbscript:', 'blob:', 'file:', 'about:']);

/**
 * A redirect URI (docs/protocol.md §4): absolute, without a fragment (RFC 6749 §3.1.2), and not a
 * scheme that runs code where the code would land (RFC 9700 §4.1); https, loopback http and a
 * native app's private-use scheme (RFC 8252 §7) are fine. Kept exactly as written: `/authorize`
 * compares it character for character.
 */
const RedirectUriSchema = z.string().max(2000, 'must be at most 2000 characters').refine((value) => {
  if (!URL.canParse(value) || value.includes('#')) return false;
  return !activeSchemes.has(new URL(value).protocol);
}, 'must be an absolute URL without a fragment, not javascript:, data: or the like');

/** The fields of an app for a server whose apps may be allowed `grantTypes`. */
const appFieldsFor = (grantTypes: readonly [string, ...string[]]) => ({
  name: text(200),
  description: text(2000),
  stage: z.enum(['development', 'test', 'production'], { error: 'must be development, test or production' }),
  appType: z.enum(['ws-client', 'ics-client'], { error: 'must be ws-client or ics-client' }),
  clientType: z.enum(['confidential', 'public'], { error: 'must be confidential or public' }),
  grants: z.array(z.enum(grantTypes, { error: `must be among ${grantTypes.join(', ')}` }), { error: 'choose at least one grant' })
    .min(1, 'choose at least one grant').transform((g) => [...new Set(g)]),
  scopes: z.array(z.string().regex(ScopePattern, 'not a valid scope name'), { error: 'at least one scope is required' })
    .min(1, 'at least one scope is required').max(500, 'at most 500 scopes').transform((s) => [...new Set(s)]),
  redirectUris: z.array(RedirectUriSchema).max(20, 'at most 20 redirect URIs'),
  enabled: z.boolean({ error: 'must be true or false' }),
  listed: z.boolean({ error: 'must be true or false' }),
  connectUrl: ConnectUrlSchema,
});

function appSchemasFor(grantTypes: readonly [string, ...string[]]) {
  const fields = appFieldsFor(grantTypes);
  return {
    /** What an administrator fills in on "Create New App". */
    create: z.object({
      ...fields,
      stage: fields.stage.default('development'),
      appType: fields.appType.default('ws-client'),
      clientType: fields.clientType.default('confidential'),
      redirectUris: fields.redirectUris.default([]),
      enabled: fields.enabled.default(true),
      listed: fields.listed.default(false),
      connectUrl: fields.connectUrl.default(null),
    }),
    /** What "Edit" may change: only the fields given (no defaults, so an edit never resets a field). */
    changes: z.object(fields).partial(),
  };
}

const protocolSchemas = appSchemasFor(GrantTypes);
const schemasByGrantTypes = new WeakMap<readonly string[], typeof protocolSchemas>();

/**
 * The app schemas of this server: an app may be allowed the grant types the server serves or may
 * serve (`core.grantTypes`: the protocol's and any extra grants), nothing else (a field error).
 */
export function appSchemas(core: Core): typeof protocolSchemas {
  let schemas = schemasByGrantTypes.get(core.grantTypes);
  if (!schemas) {
    schemas = appSchemasFor(core.grantTypes as readonly [string, ...string[]]) as typeof protocolSchemas;
    schemasByGrantTypes.set(core.grantTypes, schemas);
  }
  return schemas;
}

/** The schemas with the protocol's grant types, for documentation (OpenAPI) and types. */
export const NewAppSchema = protocolSchemas.create;
export type NewApp = z.input<typeof NewAppSchema>;
export const AppChangesSchema = protocolSchemas.changes;
export type AppChanges = z.input<typeof AppChangesSchema>;

export interface CreatedSecret {
  secret: AppSecret;
  /** The clear value: shown this once, never stored. */
  value: string;
}

/** Creates an app owned by `companyId`, with one active secret, enabled for its own company (one store transaction). */
export async function createApp(core: Core, companyId: string, input: NewApp): Promise<{ app: App; clientSecret: string }> {
  const fields = appSchemas(core).create.parse(input);
  const now = core.clock.now();
  const app: App = { id: randomUUID(), companyId, ...fields, createdAt: now, updatedAt: now, lastUsedAt: null };
  assertListable(app);
  const { secret, value } = newSecret(core, app.id, 'active');
  await core.store.apps.createWithSecret(app, secret);
  return { app, clientSecret: value };
}

export async function updateApp(core: Core, app: App, changes: AppChanges): Promise<App> {
  const fields = appSchemas(core).changes.parse(changes);
  const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  const updated: App = { ...app, ...defined, updatedAt: core.clock.now() };
  assertListable(updated);
  await core.store.apps.update(updated);
  return updated;
}

/**
 * A listed app must be connectable (docs/protocol.md §12 "App Center"): Connect sends the browser to
 * its Connect URL, and the partner converts the request token with the password grant. 400 naming
 * the fields at fault otherwise; nothing is saved.
 */
export function assertListable(app: Pick<App, 'listed' | 'connectUrl' | 'grants'>): void {
  if (!app.listed) return;
  const fields = [];
  if (!app.connectUrl) fields.push({ field: 'connectUrl', message: 'a listed app needs a Connect URL' });
  if (!app.grants.includes('password')) {
    fields.push({ field: 'grants', message: 'a listed app needs the password grant (the partner converts the request token with it)' });
  }
  if (fields.length > 0) throw invalidInput(fields);
}

/** A new secret value and its record (the digest only). */
function newSecret(core: Core, appId: string, status: AppSecret['status']): CreatedSecret {
  const value = newClientSecret();
  const now = core.clock.now();
  return { secret: { id: randomUUID(), appId, digest: core.serverKeys.digest(value), status, createdAt: now, updatedAt: now }, value };
}

/**
 * Adds a secret (Decision 5: a new secret starts inactive unless created with the app). The
 * store checks the limit and inserts in one atomic step, so concurrent additions never pass it.
 */
export async function addSecret(core: Core, appId: string, status: AppSecret['status'] = 'inactive'): Promise<CreatedSecret> {
  const created = newSecret(core, appId, status);
  if (await core.store.apps.addSecret(created.secret, secretLimits) === 'limit') {
    throw new ConcurError(status === 'active' ? Refusals.tooManyActiveSecrets(MaxActiveSecretsPerApp) : Refusals.tooManySecrets(MaxSecretsPerApp));
  }
  return created;
}

/**
 * Activates or deactivates a secret within the limits of Decision 5, atomically in the store.
 * Answers false when it is not found.
 */
export async function setSecretStatus(core: Core, appId: string, secretId: string, status: AppSecret['status']): Promise<boolean> {
  const outcome = await core.store.apps.setSecretStatus(appId, secretId, status, core.clock.now(), secretLimits);
  if (outcome === 'limit') throw new ConcurError(Refusals.tooManyActiveSecrets(MaxActiveSecretsPerApp));
  return outcome === 'set';
}

/** Lets `companyId` obtain tokens through the app (what a company administrator's connect does). */
export async function enableAppForCompany(core: Core, appId: string, companyId: string): Promise<void> {
  const now = core.clock.now();
  await core.store.apps.grantCompany({ appId, companyId, enabled: true, createdAt: now, updatedAt: now });
}

/** Public view of a secret: never the digest. */
export const describeSecret = (s: AppSecret) => ({
  id: s.id, status: s.status === 'active' ? 'Active' : 'Inactive',
  createdAt: new Date(s.createdAt).toISOString(), updatedAt: new Date(s.updatedAt).toISOString(),
});
