/**
 * A user's connected apps (docs/protocol.md Decision 15): the consents the user gave at
 * `/authorize`, with the app and its company, and withdrawing one: the consent is deleted and
 * every connection of the user with that app is revoked, so its refresh and access tokens stop.
 */
import type { Core, RequestMeta } from './context.js';
import { signInWithPassword } from './user-sign-in.js';
import type { Company, User } from './model.js';

export interface ConnectedApp {
  appId: string;
  appName: string;
  companyName: string;
  scopes: string[];
  consentedAt: number;
}

/** The user's consents, newest change first, with each app's name and company. */
export async function listConnectedApps(core: Core, user: User): Promise<ConnectedApp[]> {
  const consents = await core.store.authorizations.listConsents(user.id);
  const apps: ConnectedApp[] = [];
  for (const consent of consents) {
    const app = await core.store.apps.get(consent.appId);
    if (!app) continue;
    const company = await core.store.companies.get(app.companyId);
    apps.push({ appId: app.id, appName: app.name, companyName: company?.name ?? '', scopes: consent.scopes, consentedAt: consent.updatedAt });
  }
  return apps;
}

/** Withdraws the user's consent to an app and revokes the user's connections of it; answers whether there was a consent. Audited. */
export async function withdrawConsent(core: Core, user: User, appId: string, meta: RequestMeta): Promise<boolean> {
  const withdrawn = await core.store.authorizations.deleteConsent(user.id, appId);
  if (!withdrawn) return false;
  const revoked = await core.store.connections.revokeByPrincipal(appId, user.id, core.clock.now());
  core.audit.record({
    action: 'consent.withdrawn', outcome: 'success', correlationId: meta.correlationId, appId, companyId: user.companyId,
    actorType: 'user', actorId: user.id, principalId: user.id, detail: { revokedConnections: revoked },
  });
  return true;
}

/**
 * Signs a user in to "My connected apps" (no app involved): through the console's sign-in door,
 * so the address's limits and failure budgets of sign-in pages apply, and the user's lockout
 * everywhere (docs/protocol.md Decision 15). Audited as `user.signed-in`.
 */
export function signInToAccount(core: Core, loginId: string, password: string, meta: RequestMeta): Promise<{ user: User; company: Company }> {
  return signInWithPassword(core, { via: 'account' }, loginId, password, meta);
}
