/**
 * `grant_type=password`: with `credtype=password` a user's login id and password give a user
 * token; with `credtype=authtoken` a company UUID and its request token give a company token
 * (PROTOCOL.md §2). Both start a connection and hand out its refresh token.
 */
import type { Core, RequestMeta } from '../context.js';
import { addRefreshToken, createConnection } from '../connections.js';
import { ConcurError } from '../errors.js';
import { authenticateUser } from '../users.js';
import type { App } from '../../storage/types.js';
import type { GrantHandler, GrantOutcome } from './registry.js';
import { assertCompanyEnabled, companyEnabled, grantedScopes } from './registry.js';

async function userGrant(core: Core, app: App, params: Readonly<Record<string, string>>, meta: RequestMeta): Promise<GrantOutcome> {
  const scopes = grantedScopes(params.scope, app.scopes);
  const { user, company } = await authenticateUser(core, params.username!, params.password!, {
    attempt: { door: 'token', clientId: app.id, loginId: params.username, address: meta.ip, correlationId: meta.correlationId },
    // A user of a company that has not enabled the app gets 53 whatever the password (no oracle across tenants).
    admits: async (candidate) => (await companyEnabled(core, app, candidate.companyId) ? undefined : new ConcurError(53)),
  });
  if (company.geolocation && company.geolocation !== core.geolocation()) {
    throw new ConcurError(16, { geolocation: company.geolocation, detail: 'user lives in another datacenter' });
  }
  const connection = await createConnection(core, {
    appId: app.id, principalType: 'user', principalId: user.id, companyId: company.id, scopes,
  });
  const refreshToken = await addRefreshToken(core, connection.id);
  const principal = { type: 'user' as const, id: user.id, companyId: company.id };
  const response = core.tokens.issue({
    clientId: app.id, principal, scopes, geolocation: core.geolocation(), idToken: true, connectionId: connection.id,
    refresh: { token: refreshToken, expiresAt: connection.refreshExpiresAt },
  });
  return { response, principal, connectionId: connection.id };
}

async function companyGrant(core: Core, app: App, params: Readonly<Record<string, string>>): Promise<GrantOutcome> {
  const scopes = grantedScopes(params.scope, app.scopes);
  const companyId = params.username!.toLowerCase();
  const now = core.clock.now();
  const token = await core.store.requestTokens.consume(core.serverKeys.digest(params.password!), now);
  // A token for another app or company counts a use too: it was presented, and that is worth limiting.
  if (!token || token.appId !== app.id || token.companyId !== companyId) {
    throw new ConcurError(136, { detail: token ? 'request token of another app or company' : 'unknown, expired or used-up request token' });
  }
  const company = await core.store.companies.get(companyId);
  if (!company?.enabled) throw new ConcurError(11);
  await assertCompanyEnabled(core, app, companyId);

  // The first conversion creates the connection; retries within the token's uses join it. Once that
  // connection is revoked the request token cannot connect again (PROTOCOL.md §12: generate a new one).
  let connection = token.connectionId ? await core.store.connections.get(token.connectionId) : undefined;
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
  const granted = joined ? grantedScopes(params.scope, connection.scopes) : scopes;
  const refreshToken = await addRefreshToken(core, connection.id);
  const principal = { type: 'company' as const, id: companyId, companyId };
  const response = core.tokens.issue({
    clientId: app.id, principal, scopes: granted, geolocation: company.geolocation ?? core.geolocation(), idToken: true,
    connectionId: connection.id, refresh: { token: refreshToken, expiresAt: connection.refreshExpiresAt },
  });
  return { response, principal, connectionId: connection.id };
}

export const passwordGrant: GrantHandler = {
  grantType: 'password',
  async handle({ core, app, params, meta }) {
    const credtype = params.credtype ?? 'password';
    if (credtype !== 'password' && credtype !== 'authtoken') throw new ConcurError(120);
    if (!params.username) throw new ConcurError(51);
    if (!params.password) throw new ConcurError(52);
    return credtype === 'authtoken' ? companyGrant(core, app, params) : userGrant(core, app, params, meta);
  },
};
