/**
 * `grant_type=authorization_code` (docs/protocol.md §2, §4): a code from `/oauth2/v0/authorize`,
 * with the same `redirect_uri` and, when the request sent a `code_challenge`, its PKCE
 * `code_verifier`, opens the user's connection and answers a user token whose id token carries
 * the request's `nonce`. A public app redeems with its client id alone (Decision 14).
 */
import type { Grant } from './grant.js';

export const authorizationCodeGrant: Grant = {
  grantType: 'authorization_code',
  publicClients: true,
  parameters: [
    { name: 'code', required: true, missingCode: 101 },
    { name: 'redirect_uri', required: true, missingCode: 102 },
  ],
  async handle(ctx) {
    const { params } = ctx;
    const redeemed = await ctx.codes.exchange(params.code!, params.redirect_uri!, params.code_verifier || undefined);
    return ctx.tokens.issue({
      connection: redeemed, scopes: redeemed.scopes, geolocation: redeemed.company.geolocation ?? undefined,
      ...(redeemed.nonce === null ? {} : { nonce: redeemed.nonce }),
    });
  },
};
