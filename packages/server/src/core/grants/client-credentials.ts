/** `grant_type=client_credentials`: an application token; no refresh token, no id token (PROTOCOL.md §2). */
import type { GrantHandler } from './registry.js';
import { grantedScopes } from './registry.js';

export const clientCredentialsGrant: GrantHandler = {
  grantType: 'client_credentials',
  async handle({ core, app, secretId, params }) {
    const scopes = grantedScopes(params.scope, app.scopes);
    const principal = { type: 'application' as const, id: app.id, companyId: app.companyId };
    const response = core.tokens.issue({
      clientId: app.id, principal, scopes, geolocation: core.geolocation(), idToken: false, secretId,
    });
    return { response, principal };
  },
};
