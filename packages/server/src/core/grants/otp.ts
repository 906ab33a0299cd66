/**
 * `grant_type=otp` (docs/protocol.md §2 and §5, Decision 16): a one-time password mailed by
 * `POST /oauth2/v0/otp`, with the same channel and the same extra parameters, gives a user token
 * and opens a connection (refresh token, id token), like the password grant.
 */
import type { Grant } from './grant.js';
import { grantedScopes } from './registry.js';

export const otpGrant: Grant = {
  grantType: 'otp',
  parameters: [
    { name: 'otp', required: true, missingCode: 56 },
    { name: 'channel_type', required: true, missingCode: 57, values: ['email'], invalidCode: 80 },
    { name: 'channel_handle', required: true, missingCode: 58 },
  ],
  async handle(ctx) {
    const scopes = grantedScopes(ctx.params.scope, ctx.app.scopes);
    const { user, company } = await ctx.otps.redeem(ctx.params.otp!, ctx.params.channel_handle!);
    const connection = await ctx.connections.open({ principalType: 'user', principalId: user.id, companyId: company.id, scopes });
    return ctx.tokens.issue({ connection, scopes });
  },
};
