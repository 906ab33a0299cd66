/**
 * `grant_type=password`: with `credtype=password` a user's login id and password give a user
 * token; with `credtype=authtoken` a company UUID and its request token give a company token
 * (docs/protocol.md §2). Both start (or, for a retried conversion, join) a connection and hand out
 * its refresh token.
 */
import { ConcurError } from '../errors.js';
import type { Grant, GrantContext } from './grant.js';
import { grantedScopes } from './registry.js';

const isConversion = (credtype: string | undefined) => credtype === 'authtoken';

async function userToken(ctx: GrantContext) {
  const { params } = ctx;
  const scopes = grantedScopes(params.scope, ctx.app.scopes);
  const { user, company } = await ctx.users.authenticate(params.username!, params.password!);
  if (company.geolocation && company.geolocation !== ctx.geolocation()) {
    throw new ConcurError(16, { geolocation: company.geolocation, detail: 'user lives in another datacenter' });
  }
  const connection = await ctx.connections.open({ principalType: 'user', principalId: user.id, companyId: company.id, scopes });
  return ctx.tokens.issue({ connection, scopes });
}

async function companyToken(ctx: GrantContext) {
  const { params } = ctx;
  const redeemed = await ctx.requestTokens.redeem(params.username!.toLowerCase(), params.password!,
    (available) => grantedScopes(params.scope, available));
  return ctx.tokens.issue({ connection: redeemed, scopes: redeemed.scopes, geolocation: redeemed.company.geolocation ?? undefined });
}

export const passwordGrant: Grant = {
  grantType: 'password',
  parameters: [
    { name: 'credtype', values: ['password', 'authtoken'], invalidCode: 120 },
    { name: 'username', required: true, missingCode: 51 },
    { name: 'password', required: true, missingCode: 52 },
  ],
  loginIdOf: (params) => (isConversion(params.credtype) ? undefined : params.username),
  companyIdOf: (params) => (isConversion(params.credtype) ? params.username : undefined),
  handle: (ctx) => (isConversion(ctx.params.credtype) ? companyToken(ctx) : userToken(ctx)),
};
