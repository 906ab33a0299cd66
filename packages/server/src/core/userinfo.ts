/**
 * The OpenID Connect UserInfo answer (OIDC Core 1.0 §5.3): `sub` plus the standard claims
 * (§5.4) that the access token's scopes grant. A Tessera extension: SAP Concur documents no
 * userinfo endpoint, and its `/profile/v1/me` has no `sub`, so standard OIDC libraries
 * (openid-client's `fetchUserInfo`) need this one.
 */
import type { Core } from './context.js';
import { Refusals } from 'tessera-protocol';
import { ConcurError } from './errors.js';
import type { Principal } from './tokens.js';

/** The claims a UserInfo answer may carry: `sub` always, the rest by scope. */
export interface UserInfoClaims {
  sub: string;
  name?: string;
  preferred_username?: string;
  email?: string;
  updated_at?: number;
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/** A principal the token names that no longer exists: the token no longer describes anyone. */
const principalGone = () => new ConcurError(Refusals.principalGone, {
  headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
});

/**
 * The UserInfo claims of the token's principal (a user or a company of the token's company);
 * `profile` grants name, preferred_username and updated_at, `email` the email address.
 * An application token describes no end user: 403.
 */
export async function userInfoOf(core: Core, principal: Principal, scopes: readonly string[]): Promise<UserInfoClaims> {
  const profile = scopes.includes('profile');
  if (principal.type === 'user') {
    const user = await core.store.users.get(principal.id);
    if (!user || user.companyId !== principal.companyId) throw principalGone();
    return {
      sub: user.id,
      ...(profile ? { name: user.displayName ?? user.loginId, preferred_username: user.loginId, updated_at: seconds(user.updatedAt) } : {}),
      ...(scopes.includes('email') && user.email ? { email: user.email } : {}),
    };
  }
  if (principal.type === 'company') {
    const company = await core.store.companies.get(principal.id);
    if (!company) throw principalGone();
    return { sub: company.id, ...(profile ? { name: company.name, updated_at: seconds(company.createdAt) } : {}) };
  }
  throw new ConcurError(Refusals.appTokenHasNoEndUser);
}

/** The claims `userInfoOf` may answer, for discovery's `claims_supported`. */
export const UserInfoClaimNames = ['sub', 'name', 'preferred_username', 'email', 'updated_at'] as const;
