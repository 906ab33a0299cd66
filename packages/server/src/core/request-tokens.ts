/**
 * Company request tokens (docs/protocol.md §1, Decision 3): 24 hours, a few uses so a client can
 * retry after a network failure, replaced at once when a new one is generated.
 */
import type { Core } from './context.js';
import { enableAppForCompany } from './apps.js';
import { addRefreshToken, createConnection, type OpenedConnection } from './connections.js';
import { ConcurError } from './errors.js';
import { newRequestToken } from './secrets.js';
import type { App, Company } from './model.js';

export interface IssuedRequestToken {
  companyUUID: string;
  requestToken: string;
  expiresAt: string;
}

/** Generates (or regenerates) the request token of `companyId` for `appId`, enabling the app for it. */
export async function generateRequestToken(core: Core, appId: string, companyId: string): Promise<IssuedRequestToken> {
  const app = await core.store.apps.get(appId);
  if (!app) throw new RangeError(`no app ${appId}`);
  if (!(await core.store.companies.get(companyId))) throw new RangeError(`no company ${companyId}`);
  await enableAppForCompany(core, appId, companyId);
  const value = newRequestToken();
  const now = core.clock.now();
  const expiresAt = now + core.settings.requestTokenTtl * 1000;
  await core.store.requestTokens.replace({
    digest: core.serverKeys.digest(value), appId, companyId, uses: 0, maxUses: core.settings.requestTokenMaxUses,
    expiresAt, createdAt: now, connectionId: null,
  });
  return { companyUUID: companyId, requestToken: value, expiresAt: new Date(expiresAt).toISOString() };
}

/** A redeemed request token: its connection (opened now, or `joined` from an earlier conversion), a new refresh token, the scopes to grant. */
export interface RedeemedRequestToken extends OpenedConnection {
  joined: boolean;
  scopes: string[];
  company: Company;
}

/**
 * Converts a company's request token for `app` (the `credtype=authtoken` password grant): one use
 * of it (136 when unknown, used up, expired or of another app or company), the company enabled
 * (11) and enabling the app (53). The first conversion opens the connection with `scopesOf(app.scopes)`;
 * retries within the token's uses join it and get `scopesOf(its scopes)`. Once that connection is revoked the token cannot connect again
 * (docs/protocol.md §12: generate a new one).
 */
export async function redeemRequestToken(core: Core, app: App, companyId: string, value: string, scopesOf: (available: readonly string[]) => string[]): Promise<RedeemedRequestToken> {
  const scopes = scopesOf(app.scopes);
  const now = core.clock.now();
  const token = await core.store.requestTokens.consume(core.serverKeys.digest(value), now);
  // A token for another app or company counts a use too: it was presented, and that is worth limiting.
  if (!token || token.appId !== app.id || token.companyId !== companyId) {
    throw new ConcurError(136, { detail: token ? 'request token of another app or company' : 'unknown, expired or used-up request token' });
  }
  // The company, its grant of the app and an earlier conversion's connection: one read.
  const found = await core.store.requestTokens.conversionContext(app.id, companyId, token.connectionId);
  const { company } = found;
  if (!company?.enabled) throw new ConcurError(11);
  if (found.companyGrantEnabled !== true) throw new ConcurError(53);

  let connection = found.connection;
  let joined = connection !== undefined;
  if (connection && connection.revokedAt !== null) {
    throw new ConcurError(136, { detail: 'the connection made with this request token was revoked' });
  }
  if (!connection) {
    const created = await createConnection(core, {
      appId: app.id, principalType: 'company', principalId: companyId, companyId, scopes,
    });
    const linked = await core.store.requestTokens.linkConnection(token.digest, created.id);
    if (linked !== created.id) {
      // A concurrent conversion of the same token linked its connection first: join that one.
      await core.store.connections.revoke(created.id, now);
      connection = await core.store.connections.get(linked);
      if (!connection) throw new ConcurError(136, { detail: 'the linked connection is gone' });
      joined = true;
    } else {
      connection = created;
    }
  }
  // A retry joins the first conversion's connection and gets (at most) its scopes.
  const granted = joined ? scopesOf(connection.scopes) : scopes;
  const refreshToken = await addRefreshToken(core, connection.id);
  return { connection, refreshToken, expiresAt: connection.refreshExpiresAt, joined, scopes: granted, company };
}
