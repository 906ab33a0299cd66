/**
 * The App Center (docs/protocol.md §12 "App Center"): the apps other companies list, and Connect,
 * the company-auth flow: a company administrator connects a partner's app, Tessera makes the
 * company's request token for it and sends the browser to the app's Connect URL with it; the
 * partner converts the token with the password grant. The partner's company owns the app, the
 * connecting company owns the connection (and can withdraw it).
 *
 * One implementation for the admin API (console) and `tessera admin app-center` (local or --server).
 * An app that is not listed, not enabled, or the company's own answers exactly like an id that
 * does not exist, so nothing tells an unlisted app from no app.
 */
import { z } from 'zod';
import { Refusals, UuidPattern } from 'tessera-protocol';
import type { AdminContext, Paged } from './admin.js';
import type { AuditInput } from './audit.js';
import type { Core } from './context.js';
import { ConcurError } from './errors.js';
import { generateRequestToken } from './request-tokens.js';
import { WebServicesAdministrator } from './users.js';
import { invalidField, parseInput } from './validation.js';
import type { App, AppCenterEntry } from './model.js';

function audit(core: Core, ctx: AdminContext, input: Pick<AuditInput, 'action' | 'appId' | 'detail'>) {
  core.audit.record({ outcome: 'success', ...ctx.actor, companyId: ctx.company.id, principalId: ctx.company.id, ...input });
}

export const AppCenterQuerySchema = z.object({
  offset: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be 0 or more').max(1_000_000_000).default(0),
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be 1 or more')
    .max(200, 'must be at most 200').default(50),
}).strip();

/**
 * An app of another company as the App Center shows it: what it is, who offers it, whether it can be
 * connected and where Connect sends the browser (null when it cannot: an app the company connected
 * that is no longer offered, shown so the company can withdraw it), the scopes its connection gets;
 * and this company's part: connected (the app enabled for it) and its live connections. Never the
 * app's secrets, grants or the partner's other data.
 */
async function entryView(core: Core, ctx: AdminContext, entry: AppCenterEntry, now: number) {
  const { app } = entry;
  const live = entry.grantEnabled
    ? (await core.store.connections.page({ appId: app.id, companyId: ctx.company.id, status: 'active', now, offset: 0, limit: 1 })).total
    : 0;
  return {
    clientId: app.id, name: app.name, description: app.description, companyName: entry.ownerName,
    connectable: entry.connectable, connectUrl: entry.connectable ? app.connectUrl : null, scopes: app.scopes,
    connected: entry.grantEnabled === true, activeConnections: live,
  };
}
export type AppCenterView = Awaited<ReturnType<typeof entryView>>;

/** The App Center of the administrator's company: the listed apps of other companies and those it connected, by name. */
export async function listAppCenterFor(core: Core, ctx: AdminContext, query: unknown = {}): Promise<Paged<AppCenterView>> {
  const q = parseInput(AppCenterQuerySchema, query);
  const page = await core.store.apps.listAppCenter(ctx.company.id, { offset: q.offset, limit: q.limit });
  const now = core.clock.now();
  const items = [];
  for (const entry of page.items) items.push(await entryView(core, ctx, entry, now));
  return { items, total: page.total, offset: q.offset, limit: q.limit };
}

/** A listed, enabled app of another, enabled company; the not-found refusal otherwise. */
async function listedApp(core: Core, ctx: AdminContext, appId: string): Promise<App> {
  const app = UuidPattern.test(appId) ? await core.store.apps.get(appId.toLowerCase()) : undefined;
  const owner = app && app.listed && app.enabled && app.connectUrl && app.companyId !== ctx.company.id
    ? await core.store.companies.get(app.companyId) : undefined;
  if (!app || !owner?.enabled) throw new ConcurError(Refusals.notInAppCenter);
  return app;
}

/**
 * The user whose UUID goes to the partner as `userID`: the administrator who clicked Connect; for
 * the operator (who is no user), the administrator named by `loginId`, else the company's first.
 */
async function connectingUserId(core: Core, ctx: AdminContext, loginId: string | undefined): Promise<string> {
  if (ctx.actor.actorType === 'user' && ctx.actor.actorId) return ctx.actor.actorId;
  const admins = (await core.store.users.listByCompany(ctx.company.id))
    .filter((u) => u.roles.includes(WebServicesAdministrator) && u.status === 'active');
  const chosen = loginId === undefined ? admins[0] : admins.find((u) => u.loginId.toLowerCase() === loginId.trim().toLowerCase());
  if (!chosen) {
    throw invalidField('loginId', loginId === undefined
      ? `${ctx.company.name} has no active Web Services Administrator to connect as`
      : `no active Web Services Administrator ${loginId} in ${ctx.company.name}`);
  }
  return chosen.id;
}

export const ConnectInputSchema = z.object({
  /** Only for the operator: the administrator to connect as (the partner receives their UUID). */
  loginId: z.string().trim().min(1, 'must not be empty').max(254, 'must be at most 254 characters').optional(),
}).strict();

export interface Connected {
  /** The Connect URL with `id`, `requestToken` and `userID` set in its query: where the browser goes. */
  redirectUrl: string;
  clientId: string;
  name: string;
  /** When the request token in `redirectUrl` expires. */
  expiresAt: string;
}

/**
 * Connect (docs/protocol.md §12 "App Center"): (re)generates the company's request token for the
 * listed app, which enables the app for the company, and answers the Connect URL with
 * `id=<companyUUID>&requestToken=<token>&userID=<userUUID>` (and `userId`, the same) set in its query (replacing any such
 * parameter the URL had, keeping the others). The audit event never holds the token.
 */
export async function connectAppFor(core: Core, ctx: AdminContext, appId: string, input: unknown = {}): Promise<Connected> {
  const app = await listedApp(core, ctx, appId);
  const { loginId } = parseInput(ConnectInputSchema, input);
  if (loginId !== undefined && ctx.actor.actorType === 'user') throw invalidField('loginId', 'only the operator names whom to connect as');
  const userId = await connectingUserId(core, ctx, loginId);
  const issued = await generateRequestToken(core, app.id, ctx.company.id);
  const url = new URL(app.connectUrl!);
  url.searchParams.set('id', ctx.company.id);
  url.searchParams.set('requestToken', issued.requestToken);
  // SAP's pages spell it both ways (docs/protocol.md Decision 17): a partner reading either finds it.
  url.searchParams.set('userID', userId);
  url.searchParams.set('userId', userId);
  audit(core, ctx, { action: 'app-center.connected', appId: app.id, detail: { userId, ownerCompanyId: app.companyId, connectHost: url.host } });
  return { redirectUrl: url.toString(), clientId: app.id, name: app.name, expiresAt: issued.expiresAt };
}

/**
 * Withdraws another company's app from the administrator's company: its grant is disabled (the
 * app's token requests for the company answer 53 from now on, and its access tokens stop working)
 * and every live connection of it within the company is revoked. Works whether or not the app is
 * still listed; an app the company never connected answers not found. Connect again to restore.
 */
export interface Disconnected {
  clientId: string;
  connected: false;
  revokedConnections: number;
  disconnectedAt: string;
}

export async function disconnectAppFor(core: Core, ctx: AdminContext, appId: string): Promise<Disconnected> {
  const app = UuidPattern.test(appId) ? await core.store.apps.get(appId.toLowerCase()) : undefined;
  const grant = app && app.companyId !== ctx.company.id ? await core.store.apps.getCompanyGrant(app.id, ctx.company.id) : undefined;
  if (!app || !grant) throw new ConcurError(Refusals.appNotConnected);
  const now = core.clock.now();
  await core.store.apps.setCompanyGrant(app.id, ctx.company.id, false, now);
  const revoked = await core.store.connections.revokeByCompany(app.id, ctx.company.id, now);
  audit(core, ctx, { action: 'app-center.disconnected', appId: app.id, detail: { revokedConnections: revoked, wasEnabled: grant.enabled } });
  return { clientId: app.id, connected: false, revokedConnections: revoked, disconnectedAt: new Date(now).toISOString() };
}
