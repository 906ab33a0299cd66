/**
 * What an access token may see of the directory on the protected APIs (docs/protocol.md §8): its own
 * company and that company's users, each with the scope its kind needs. Anything of another
 * company answers 404, exactly like an id that does not exist. The routes shape the answers
 * (Profile v1, Identity v4, UserInfo); the rules are here.
 */
import { Refusals } from 'tessera-protocol';
import type { Core } from './context.js';
import { ConcurError } from './errors.js';
import type { AccessContext } from './tokens.js';
import { userInfoOf, type UserInfoClaims } from './userinfo.js';
import type { Company, User } from './model.js';

/** 403 unless the token carries one of `scopes`. */
export function requireScope(access: AccessContext, ...scopes: string[]): void {
  if (!scopes.some((scope) => access.scopes.includes(scope))) {
    throw new ConcurError(Refusals.scopeRequired(scopes), {
      headers: { 'www-authenticate': `Bearer error="insufficient_scope", scope="${scopes.join(' ')}"` },
    });
  }
}

/** A principal a token may see: its company, or a user of its company. */
export type VisiblePrincipal = { type: 'company'; company: Company } | { type: 'user'; user: User };

/**
 * The principal `id` within the token's company: the company itself (scope `company.read`) or
 * one of its users (`user.read` or `user_read`); 404 otherwise.
 */
export async function principalVisibleTo(core: Core, access: AccessContext, id: string): Promise<VisiblePrincipal> {
  const companyId = access.principal.companyId;
  const wanted = id.toLowerCase();
  if (companyId && wanted === companyId) {
    requireScope(access, 'company.read');
    const company = await core.store.companies.get(wanted);
    if (company) return { type: 'company', company };
  } else {
    requireScope(access, 'user.read', 'user_read');
    const user = await core.store.users.get(wanted);
    if (user && user.companyId === companyId) return { type: 'user', user };
  }
  throw new ConcurError(Refusals.notFound('principal'));
}

/** The token's own principal (`/profile/v1/me`); an application token has no profile: 403. */
export async function ownPrincipal(core: Core, access: AccessContext): Promise<VisiblePrincipal> {
  if (access.principal.type === 'application') {
    throw new ConcurError(Refusals.appTokenHasNoProfile);
  }
  return principalVisibleTo(core, access, access.principal.id);
}

/** The OpenID Connect UserInfo claims of the token's principal; needs scope `openid`. */
export async function userInfoFor(core: Core, access: AccessContext): Promise<UserInfoClaims> {
  requireScope(access, 'openid');
  return userInfoOf(core, access.principal, access.scopes);
}

/** One page of the token's company's users (Identity v4 `Users`); needs `identity.user.core.read`. */
export async function usersVisibleTo(core: Core, access: AccessContext, page: { startIndex?: number; count?: number }) {
  requireScope(access, 'identity.user.core.read');
  // 1-based (SCIM); at most 1000 a page, paged in the store.
  const startIndex = Math.max(1, page.startIndex || 1);
  const count = Math.min(1000, Math.max(0, page.count || 100));
  const { items, total } = access.principal.companyId
    ? await core.store.users.pageByCompany(access.principal.companyId, { offset: Math.min(startIndex - 1, Number.MAX_SAFE_INTEGER), limit: count })
    : { items: [], total: 0 };
  return { total, startIndex, items };
}

/** A user of the token's company (Identity v4 `Users/{id}`); needs `identity.user.core.read`; 404 otherwise. */
export async function userVisibleTo(core: Core, access: AccessContext, id: string): Promise<User> {
  requireScope(access, 'identity.user.core.read');
  const user = await core.store.users.get(id.toLowerCase());
  if (!user || user.companyId !== access.principal.companyId) throw new ConcurError(Refusals.notFound('user'));
  return user;
}
