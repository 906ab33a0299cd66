/** `grant_type=refresh_token` (PROTOCOL.md §2, Decision 8). */
import { useRefreshToken } from '../connections.js';
import { ConcurError } from '../errors.js';
import type { GrantHandler } from './registry.js';
import { assertCompanyEnabled, grantedScopes } from './registry.js';

export const refreshTokenGrant: GrantHandler = {
  grantType: 'refresh_token',
  notAllowedCode: 107,
  async handle({ core, app, params, meta }) {
    if (!params.refresh_token) throw new ConcurError(106);
    let scopes: string[] = [];
    let geolocation = core.geolocation();
    const { connection, refreshToken, expiresAt } = await useRefreshToken(core, app.id, params.refresh_token, meta.correlationId,
      async (found) => {
        // A scope the app lost since the connection was made is not granted again.
        scopes = grantedScopes(params.scope, found.scopes.filter((scope) => app.scopes.includes(scope)));
        await assertCompanyEnabled(core, app, found.companyId);
        if (found.principalType === 'user') {
          const user = await core.store.users.get(found.principalId);
          if (!user || user.status === 'disabled') throw new ConcurError(123);
        }
        const company = await core.store.companies.get(found.companyId);
        if (!company?.enabled) throw new ConcurError(123);
        geolocation = company.geolocation ?? geolocation;
      });
    const principal = { type: connection.principalType, id: connection.principalId, companyId: connection.companyId };
    const response = core.tokens.issue({
      clientId: app.id, principal, scopes, geolocation, idToken: true, connectionId: connection.id,
      refresh: { token: refreshToken, expiresAt },
    });
    return { response, principal, connectionId: connection.id };
  },
};
