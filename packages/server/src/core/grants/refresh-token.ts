/** `grant_type=refresh_token` (docs/protocol.md §2, Decision 8): the rules live in `ctx.connections.refresh`. */
import type { Grant } from './grant.js';
import { grantedScopes } from './registry.js';

export const refreshTokenGrant: Grant = {
  grantType: 'refresh_token',
  notAllowedCode: 107,
  // A public app refreshes with its client id alone (docs/protocol.md Decision 14).
  publicClients: true,
  parameters: [{ name: 'refresh_token', required: true, missingCode: 106 }],
  async handle(ctx) {
    const refreshed = await ctx.connections.refresh(ctx.params.refresh_token!, (available) => grantedScopes(ctx.params.scope, available));
    return ctx.tokens.issue({ connection: refreshed, scopes: refreshed.scopes, geolocation: refreshed.company.geolocation ?? undefined });
  },
};
