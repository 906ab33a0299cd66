/**
 * What an administrator does in Authentication Admin (docs/protocol.md §12), always within their own
 * company: OAuth 2.0 Application Management, client secrets, Company Request Token, connections,
 * users and the audit log. Another company's ids answer 404, exactly like ids that do not exist,
 * so nothing about another tenant leaks. Every change is audited with its actor.
 *
 * These are the one implementation of each operation: the admin API (and the console through
 * it) calls them as the signed-in administrator (`administratorContext`), the local
 * `tessera admin` commands as the operator of the store (`operatorContext`), within the company
 * the operator names.
 */
import { z } from 'zod';
import { Paths, Refusals, UuidPattern } from 'tessera-protocol';
import { appSchemas, createApp, updateApp } from './apps.js';
import { changeSecretStatus, createSecret, deleteSecret, listSecrets, type SecretView } from './app-secrets.js';
import { operatorActor, type Actor } from './actor.js';
import type { AuditInput } from './audit.js';
import type { Core } from './context.js';
import { ConcurError } from './errors.js';
import { inactivityDeadline } from './inactivity.js';
import { generateRequestToken } from './request-tokens.js';
import type { AdminIdentity } from './sessions.js';
import { createUser, isLocked, newPasswordSchema, resetUserPassword, WebServicesAdministrator } from './users.js';
import { invalidField, parseInput } from './validation.js';
import { LoginIdTakenError } from '../storage/errors.js';
import type { App, Company, Connection, SecretStatus, StoredAuditEvent, User } from './model.js';

/** Who acts (for the audit trail), and the company they act within (the tenant of every id). */
export interface AdminContext {
  /** The administrator's own company, or the one the operator chose. */
  readonly company: Pick<Company, 'id' | 'name'>;
  /** An administrator (`user`, their id) or the operator of the store (`operator`). */
  readonly actor: Actor;
}

/** The context of a signed-in administrator's request. */
export function administratorContext(identity: AdminIdentity, correlationId: string): AdminContext {
  return { company: identity.company, actor: { actorType: 'user', actorId: identity.user.id, correlationId } };
}

/**
 * The context of the operator of the store (`tessera admin` without `--server`), acting within
 * the company `companyId`, or else the first company created (the demo company). 400 naming
 * `company` when there is no such company.
 */
export async function operatorContext(core: Core, companyId?: string): Promise<AdminContext> {
  const company = companyId
    ? UuidPattern.test(companyId) ? await core.store.companies.get(companyId.toLowerCase()) : undefined
    : (await core.store.companies.list())[0];
  if (!company) {
    throw invalidField('company', companyId ? `no company ${companyId}`
      : 'the store has no company yet: run `tessera serve` once, or `tessera admin companies create`');
  }
  return { company, actor: operatorActor };
}

/** One page of a list. */
export interface Paged<T> {
  items: T[];
  total: number;
  offset: number;
  limit: number;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const notFound = (what: string) => new ConcurError(Refusals.notFound(what));

function audit(core: Core, ctx: AdminContext, input: Omit<AuditInput, 'correlationId' | 'actorType' | 'actorId' | 'companyId' | 'outcome'>) {
  core.audit.record({
    outcome: 'success', ...ctx.actor, companyId: ctx.company.id, principalId: ctx.actor.actorId, ...input,
  });
}

// ——— Apps ———

/** An app as the admin API shows it. */
export function appView(core: Core, app: App) {
  return {
    clientId: app.id, companyUUID: app.companyId, name: app.name, description: app.description, stage: app.stage,
    appType: app.appType, clientType: app.clientType, grants: app.grants, scopes: app.scopes, redirectUris: app.redirectUris, enabled: app.enabled,
    listed: app.listed, connectUrl: app.connectUrl,
    createdAt: iso(app.createdAt), updatedAt: iso(app.updatedAt), lastUsedAt: iso(app.lastUsedAt),
    inactivity: { days: core.settings.appInactivityDays, deactivatesAt: app.enabled ? iso(inactivityDeadline(core.settings, app)) : null },
  };
}
export type AppView = ReturnType<typeof appView>;

/** The app `appId` if the administrator's company owns it; 404 otherwise (another tenant's app included). */
export async function ownApp(core: Core, ctx: AdminContext, appId: string): Promise<App> {
  const app = UuidPattern.test(appId) ? await core.store.apps.get(appId.toLowerCase()) : undefined;
  if (!app || app.companyId !== ctx.company.id) throw notFound('app');
  return app;
}

const paging = (defaultLimit: number) => ({
  offset: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be 0 or more').max(1_000_000_000).default(0),
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be 1 or more')
    .max(200, 'must be at most 200').default(defaultLimit),
});

/** Query of the Application List: filter (Client ID or App Name), sort column and order, paging. */
export const AppListQuerySchema = z.object({
  filter: z.string().trim().max(200, 'must be at most 200 characters').optional(),
  sort: z.enum(['clientId', 'name', 'description', 'createdAt', 'updatedAt', 'lastUsedAt'], {
    error: 'must be clientId, name, description, createdAt, updatedAt or lastUsedAt',
  }).default('createdAt'),
  order: z.enum(['asc', 'desc'], { error: 'must be asc or desc' }).default('desc'),
  ...paging(25),
});

export async function listApps(core: Core, ctx: AdminContext, query: unknown): Promise<Paged<AppView>> {
  const q = parseInput(AppListQuerySchema, query);
  const page = await core.store.apps.list({
    companyId: ctx.company.id, filter: q.filter || undefined, sort: q.sort === 'clientId' ? 'id' : q.sort,
    order: q.order, offset: q.offset, limit: q.limit,
  });
  return { items: page.items.map((app) => appView(core, app)), total: page.total, offset: q.offset, limit: q.limit };
}

/** "Create New App": validates everything first, then creates the app with one active secret. */
export async function createAppFor(core: Core, ctx: AdminContext, input: unknown): Promise<{ app: AppView; clientSecret: string }> {
  const fields = parseInput(appSchemas(core).create.strict(), input);
  const { app, clientSecret } = await createApp(core, ctx.company.id, fields);
  audit(core, ctx, { action: 'app.created', appId: app.id, detail: { name: app.name, grants: app.grants, scopes: app.scopes } });
  return { app: appView(core, app), clientSecret };
}

/** "Edit" on App Details, including Enabled yes/no: only the given fields change. */
export async function updateAppFor(core: Core, ctx: AdminContext, appId: string, input: unknown): Promise<AppView> {
  const app = await ownApp(core, ctx, appId);
  const changes = parseInput(appSchemas(core).changes.strict(), input);
  const updated = await updateApp(core, app, changes);
  const fields = Object.keys(changes);
  audit(core, ctx, {
    action: changes.enabled === undefined || fields.length > 1 ? 'app.updated' : changes.enabled ? 'app.enabled' : 'app.disabled',
    appId: app.id, detail: { fields, ...(changes.enabled === undefined ? {} : { enabled: changes.enabled }) },
  });
  return appView(core, updated);
}

/**
 * App Details: every field, status and inactivity, the Client Secrets (never their values), and how
 * many other companies have the app connected (the App Center; which ones is theirs to know).
 */
export async function appDetails(core: Core, ctx: AdminContext, appId: string): Promise<AppView & { secrets: SecretView[]; connectedCompanies: number }> {
  const app = await ownApp(core, ctx, appId);
  return { ...appView(core, app), secrets: await listSecrets(core, app), connectedCompanies: await core.store.apps.countConnectedCompanies(app.id) };
}

// ——— Client secrets ———

export async function listSecretsFor(core: Core, ctx: AdminContext, appId: string): Promise<SecretView[]> {
  return listSecrets(core, await ownApp(core, ctx, appId));
}

export async function createSecretFor(core: Core, ctx: AdminContext, appId: string) {
  return createSecret(core, await ownApp(core, ctx, appId), ctx.actor);
}

export const SecretChangeSchema = z.object({
  status: z.enum(['active', 'inactive'], { error: 'must be active or inactive' }),
}).strict();

export async function changeSecretFor(core: Core, ctx: AdminContext, appId: string, secretId: string, input: unknown): Promise<SecretView> {
  const app = await ownApp(core, ctx, appId);
  const { status } = parseInput(SecretChangeSchema, input);
  return changeSecretStatus(core, app, secretId, status as SecretStatus, ctx.actor);
}

export async function deleteSecretFor(core: Core, ctx: AdminContext, appId: string, secretId: string): Promise<void> {
  await deleteSecret(core, await ownApp(core, ctx, appId), secretId, ctx.actor);
}

// ——— Company Request Token ———

export const RequestTokenInputSchema = z.object({
  appId: z.string({ error: 'App ID is required' }).trim().min(1, 'App ID is required').regex(UuidPattern, 'App ID is the Client ID, a UUID'),
});

/**
 * "Company Request Token": (re)generates the company's request token for one of its apps, with
 * when it expires and what would make its conversion fail (`conversionCommand` adds the curl).
 */
export async function generateRequestTokenFor(core: Core, ctx: AdminContext, input: unknown) {
  const { appId } = parseInput(RequestTokenInputSchema, input);
  // An administrator connects their company to its own apps; the operator may also connect it to
  // another company's app (a partner's app, as on SAP Concur), which is how a second company gets one.
  const app = ctx.actor.actorType === 'operator'
    ? await core.store.apps.get(appId.toLowerCase())
    : await ownApp(core, ctx, appId).catch(() => undefined);
  if (!app) throw new ConcurError(ctx.actor.actorType === 'operator' ? Refusals.unknownAppIdAnyCompany : Refusals.unknownAppId);
  const issued = await generateRequestToken(core, app.id, ctx.company.id);
  audit(core, ctx, { action: 'request-token.generated', appId: app.id, principalId: ctx.company.id });
  const warnings: string[] = [];
  if (!app.enabled) warnings.push('The app is disabled: enable it in App Details before converting the token.');
  if (!app.grants.includes('password')) warnings.push("The app's Allowed Grants lack password: the conversion will answer code 60.");
  return { ...issued, appId: app.id, appName: app.name, maxUses: core.settings.requestTokenMaxUses, warnings };
}

/**
 * The token URL of this service and the ready-to-run curl command that converts a request token
 * (the password grant). Needs the service's address: a running server, or the `geolocation` setting.
 */
export function conversionCommand(core: Core, issued: { appId: string; companyUUID: string; requestToken: string }) {
  const tokenUrl = `${core.geolocation()}${Paths.token}`;
  const insecure = core.settings.https && !core.settings.tlsCert ? ' -k' : '';
  return {
    tokenUrl,
    curl: [
      `curl${insecure} -X POST '${tokenUrl}' \\`,
      "  -H 'Content-Type: application/x-www-form-urlencoded' \\",
      '  -d grant_type=password -d credtype=authtoken \\',
      `  -d client_id=${issued.appId} -d 'client_secret=<your client secret>' \\`,
      `  -d username=${issued.companyUUID} -d password=${issued.requestToken}`,
    ].join('\n'),
  };
}

// ——— Connections ———

const connectionStatus = (c: Connection, now: number) =>
  (c.revokedAt !== null ? 'revoked' : c.refreshExpiresAt <= now ? 'expired' : 'active') as 'active' | 'revoked' | 'expired';

export const ConnectionListQuerySchema = z.object({
  status: z.enum(['all', 'active', 'revoked', 'expired'], { error: 'must be all, active, revoked or expired' }).default('all'),
  ...paging(50),
});

/** The companies and users connected to an app: scopes, created, last used, refresh token expiry. */
export async function listConnectionsFor(core: Core, ctx: AdminContext, appId: string, query: unknown) {
  const app = await ownApp(core, ctx, appId);
  const q = parseInput(ConnectionListQuerySchema, query);
  const now = core.clock.now();
  const { items: page, total } = await core.store.connections.page({
    appId: app.id, companyId: ctx.company.id, status: q.status === 'all' ? undefined : q.status, now, offset: q.offset, limit: q.limit,
  });
  const users = new Map<string, User | undefined>();
  for (const c of page) {
    if (c.principalType === 'user' && !users.has(c.principalId)) users.set(c.principalId, await core.store.users.get(c.principalId));
  }
  const items = page.map((c) => ({
    id: c.id, principalType: c.principalType, principalId: c.principalId,
    principalName: c.principalType === 'company' ? ctx.company.name : users.get(c.principalId)?.loginId ?? null,
    scopes: c.scopes, status: connectionStatus(c, now), createdAt: iso(c.createdAt), lastUsedAt: iso(c.lastUsedAt),
    refreshExpiresAt: iso(c.refreshExpiresAt), revokedAt: iso(c.revokedAt),
  }));
  return { items, total, offset: q.offset, limit: q.limit };
}

/** Revokes one connection: every refresh token of it stops working at once. */
export async function revokeConnectionFor(core: Core, ctx: AdminContext, appId: string, connectionId: string): Promise<void> {
  const app = await ownApp(core, ctx, appId);
  const connection = UuidPattern.test(connectionId) ? await core.store.connections.get(connectionId.toLowerCase()) : undefined;
  if (!connection || connection.appId !== app.id || connection.companyId !== ctx.company.id) throw notFound('connection');
  const revoked = await core.store.connections.revoke(connection.id, core.clock.now());
  // A user's consent goes with it: the next /authorize asks the user again (docs/protocol.md Decision 15).
  const consentWithdrawn = connection.principalType === 'user'
    && await core.store.authorizations.deleteConsent(connection.principalId, app.id);
  audit(core, ctx, {
    action: 'connection.revoked', appId: app.id, principalId: connection.principalId,
    detail: { connectionId: connection.id, principalType: connection.principalType, alreadyRevoked: !revoked, consentWithdrawn },
  });
}

// ——— Users ———

/** A user as the admin API shows it (never the password hash). */
export function userView(user: User, now: number) {
  return {
    id: user.id, loginId: user.loginId, email: user.email, displayName: user.displayName, roles: user.roles,
    administrator: user.roles.includes(WebServicesAdministrator), status: user.status, locked: isLocked(user, now),
    lockedUntil: iso(user.lockedUntil), failedLogins: user.failedLogins, createdAt: iso(user.createdAt), updatedAt: iso(user.updatedAt),
  };
}

export type UserView = ReturnType<typeof userView>;

export const UserListQuerySchema = z.object({
  loginId: z.string().trim().min(1, 'must not be empty').max(254, 'must be at most 254 characters').optional(),
}).strip();

/**
 * The users of the administrator's company; with `loginId`, only the user with that login id
 * (matched as sign-in matches it, case-insensitively; no list is read), or none.
 */
export async function listUsersFor(core: Core, ctx: AdminContext, query: unknown = {}) {
  const now = core.clock.now();
  const { loginId } = parseInput(UserListQuerySchema, query);
  if (loginId !== undefined) {
    const user = await core.store.users.findByLoginId(loginId);
    return user && user.companyId === ctx.company.id ? [userView(user, now)] : [];
  }
  return (await core.store.users.listByCompany(ctx.company.id)).map((u) => userView(u, now));
}

export const NewUserSchema = z.object({
  loginId: z.string({ error: 'is required' }).trim().min(1, 'is required').max(254, 'must be at most 254 characters')
    .regex(/^\S+$/, 'must not contain spaces'),
  password: newPasswordSchema,
  email: z.string().trim().email('must be an email address').max(254).optional(),
  displayName: z.string().trim().max(200, 'must be at most 200 characters').optional(),
  administrator: z.boolean({ error: 'must be true or false' }).default(false),
}).strict();

export async function createUserFor(core: Core, ctx: AdminContext, input: unknown) {
  const fields = parseInput(NewUserSchema, input);
  await core.protection.admitUserCreation(ctx.company.id);
  const user = await createUser(core, {
    companyId: ctx.company.id, loginId: fields.loginId, password: fields.password,
    ...(fields.email ? { email: fields.email } : {}), ...(fields.displayName ? { displayName: fields.displayName } : {}),
    roles: fields.administrator ? [WebServicesAdministrator] : [],
  }).catch(async (error: unknown) => {
    if (!(error instanceof LoginIdTakenError)) throw error;
    // Taken before (createUser's lookup) or by a concurrent creation (the store's unique index):
    // one answer, and either way it spends the company's budget of "taken" answers.
    await core.protection.recordTakenLoginId(ctx.company.id, ctx.actor.correlationId);
    throw invalidField('loginId', 'this login id is taken');
  });
  audit(core, ctx, { action: 'user.created', principalId: user.id, detail: { loginId: user.loginId, administrator: fields.administrator } });
  return userView(user, core.clock.now());
}

async function ownUser(core: Core, ctx: AdminContext, userId: string): Promise<User> {
  const user = UuidPattern.test(userId) ? await core.store.users.get(userId.toLowerCase()) : undefined;
  if (!user || user.companyId !== ctx.company.id) throw notFound('user');
  return user;
}

export const UserChangeSchema = z.object({
  status: z.enum(['active', 'disabled'], { error: 'must be active or disabled' }),
}).strict();

/** Unlocks a user locked by failed sign-ins (the lockout of the password grant and the console). */
export async function unlockUserFor(core: Core, ctx: AdminContext, userId: string) {
  const user = await ownUser(core, ctx, userId);
  await core.store.users.clearFailedLogins(user.id, core.clock.now());
  // The failed-password budget of the login id (a 429 at the token endpoint) lifts with the lock.
  await core.protection.forgetLoginFailures(user.loginId);
  audit(core, ctx, { action: 'user.unlocked', principalId: user.id, detail: { loginId: user.loginId } });
  return userView((await core.store.users.get(user.id))!, core.clock.now());
}

export const PasswordResetSchema = z.object({
  password: newPasswordSchema,
}).strict();

/** Sets a new password for a user of the administrator's company (see `resetUserPassword`). */
export async function resetUserPasswordFor(core: Core, ctx: AdminContext, userId: string, input: unknown) {
  const user = await ownUser(core, ctx, userId);
  const { password } = parseInput(PasswordResetSchema, input);
  const changed = await resetUserPassword(core, user, password, ctx.actor);
  return userView(changed, core.clock.now());
}

/** Enables or disables a user; a disabled user's console sessions end. An administrator cannot disable themselves. */
export async function changeUserFor(core: Core, ctx: AdminContext, userId: string, input: unknown) {
  const user = await ownUser(core, ctx, userId);
  const { status } = parseInput(UserChangeSchema, input);
  if (ctx.actor.actorType === 'user' && user.id === ctx.actor.actorId && status === 'disabled') throw invalidField('status', 'you cannot disable your own account');
  const now = core.clock.now();
  await core.store.users.setStatus(user.id, status, now);
  if (status === 'disabled') await core.store.sessions.deleteByUser(user.id);
  audit(core, ctx, { action: status === 'disabled' ? 'user.disabled' : 'user.enabled', principalId: user.id, detail: { loginId: user.loginId } });
  return userView((await core.store.users.get(user.id))!, now);
}

// ——— Audit log ———

const instant = z.union([
  z.coerce.number().int().min(0),
  z.string().trim().refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO 8601 time or epoch milliseconds').transform((v) => Date.parse(v)),
]);

export const AuditQuerySchema = z.object({
  appId: z.string().trim().regex(UuidPattern, 'must be a Client ID (UUID)').optional().or(z.literal('').transform(() => undefined)),
  principalId: z.string().trim().max(100, 'must be at most 100 characters').optional(),
  action: z.string().trim().max(100, 'must be at most 100 characters').optional(),
  since: instant.optional(),
  until: instant.optional(),
  ...paging(50),
});

/** The audit log of the administrator's company: who did what and when, newest first. */
export async function queryAuditFor(core: Core, ctx: AdminContext, query: unknown): Promise<Paged<ReturnType<typeof auditView>>> {
  const q = parseInput(AuditQuerySchema, query);
  await core.audit.flush(); // the events of the last moments too
  const page = await core.store.audit.query({
    companyId: ctx.company.id, appId: q.appId?.toLowerCase(), principalId: q.principalId || undefined,
    action: q.action || undefined, since: q.since, until: q.until, offset: q.offset, limit: q.limit,
  });
  const names = await namesOf(core, ctx, page.items.flatMap((e) => [e.actorId, e.principalId, e.appId]));
  return { items: page.items.map((e) => auditView(e, names)), total: page.total, offset: q.offset, limit: q.limit };
}

/**
 * Readable names for the ids in audit events: login ids of the company's users, the company's
 * own name, the names of its apps. Ids of anything else get no name.
 */
async function namesOf(core: Core, ctx: AdminContext, ids: (string | null)[]): Promise<Map<string, string>> {
  const names = new Map<string, string>([[ctx.company.id, ctx.company.name]]);
  const seen = new Set<string>();
  for (const id of ids) {
    if (!id || seen.has(id) || names.has(id) || !UuidPattern.test(id)) continue;
    seen.add(id);
    const user = await core.store.users.get(id);
    if (user) {
      if (user.companyId === ctx.company.id) names.set(id, user.loginId);
      continue;
    }
    const app = await core.store.apps.get(id);
    if (app && app.companyId === ctx.company.id) names.set(id, app.name);
  }
  return names;
}

function auditView(e: StoredAuditEvent, names: Map<string, string>) {
  const name = (id: string | null) => (id ? names.get(id) ?? null : null);
  return {
    id: e.id, at: iso(e.at), action: e.action, outcome: e.outcome, correlationId: e.correlationId,
    actor: { type: e.actorType, id: e.actorId, name: name(e.actorId) },
    appId: e.appId, appName: name(e.appId), principalId: e.principalId, principalName: name(e.principalId),
    code: e.code, detail: e.detail,
  };
}
