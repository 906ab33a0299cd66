/** `grant_type=client_credentials`: an application token; no refresh token, no id token (docs/protocol.md §2). */
import type { Grant } from './grant.js';
import { grantedScopes } from './registry.js';

export const clientCredentialsGrant: Grant = {
  grantType: 'client_credentials',
  async handle(ctx) {
    return ctx.tokens.issue({ scopes: grantedScopes(ctx.params.scope, ctx.app.scopes) });
  },
};
