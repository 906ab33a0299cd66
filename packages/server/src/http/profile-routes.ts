/**
 * Protected APIs that prove a token works and its scopes are enforced (PROTOCOL.md §8):
 * Profile v1 (`/me`, `/principals/{id}`), the SCIM-style Identity v4/v4.1 Users, and the
 * OpenID Connect UserInfo endpoint (a Tessera extension).
 * A token sees only its own company.
 */
import type { FastifyInstance } from 'fastify';
import { Paths } from 'tessera-protocol';
import type { Core } from '../core/context.js';
import { ConcurError } from '../core/errors.js';
import type { AccessContext } from '../core/tokens.js';
import { userInfoOf } from '../core/userinfo.js';
import type { Company, User } from '../storage/types.js';
import { authenticateBearer, requireScope } from './bearer.js';

const enterpriseSchema = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A user as Profile v1 and Identity v4 show it. `meta.location` is the resource's own URL: Profile
 * v1's principal for `/me`, the Identity Users resource of the same version for Identity answers
 * (what Concur's own Identity answers carry).
 */
function profileOfUser(user: User, location: string) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', enterpriseSchema],
    id: user.id,
    userName: user.loginId,
    displayName: user.displayName ?? user.loginId,
    active: user.status === 'active',
    emails: user.email ? [{ value: user.email, type: 'work', primary: true }] : [],
    [enterpriseSchema]: { companyId: user.companyId },
    travelIds: { companyId: user.companyId },
    meta: {
      resourceType: 'User', principalType: 'user', created: iso(user.createdAt), lastModified: iso(user.updatedAt),
      location,
    },
  };
}

const principalLocation = (core: Core, id: string) => `${core.geolocation()}/profile/v1/principals/${id}`;

function profileOfCompany(core: Core, company: Company) {
  return {
    id: company.id, name: company.name, companyDomain: company.domain,
    meta: { principalType: 'company', created: iso(company.createdAt), location: principalLocation(core, company.id) },
  };
}

/** The profile of a principal within the token's company, with the scope its type needs. */
async function principalProfile(core: Core, access: AccessContext, id: string) {
  const companyId = access.principal.companyId;
  if (companyId && id === companyId) {
    requireScope(access, 'company.read');
    const company = await core.store.companies.get(id);
    if (company) return profileOfCompany(core, company);
  } else {
    requireScope(access, 'user.read', 'user_read');
    const user = await core.store.users.get(id);
    if (user && user.companyId === companyId) return profileOfUser(user, principalLocation(core, user.id));
  }
  throw new ConcurError(404, { description: 'principal not found' });
}

export function registerProfileRoutes(app: FastifyInstance, core: Core): void {
  app.get('/profile/v1/me', async (request) => {
    const access = await authenticateBearer(core, request);
    if (access.principal.type === 'application') {
      throw new ConcurError(403, { description: 'an application token has no profile; use a user or company token' });
    }
    return principalProfile(core, access, access.principal.id);
  });

  // OIDC Core §5.3.1: the client may send the UserInfo request with GET or POST.
  app.route({
    method: ['GET', 'POST'],
    url: Paths.userinfo,
    handler: async (request, reply) => {
      const access = await authenticateBearer(core, request);
      requireScope(access, 'openid');
      return reply.header('cache-control', 'no-store').send(await userInfoOf(core, access.principal, access.scopes));
    },
  });

  app.get<{ Params: { id: string } }>('/profile/v1/principals/:id', async (request) => {
    const access = await authenticateBearer(core, request);
    return principalProfile(core, access, request.params.id.toLowerCase());
  });

  for (const version of ['v4', 'v4.1']) {
    const identityUser = (user: User) => profileOfUser(user, `${core.geolocation()}/profile/identity/${version}/Users/${user.id}`);
    app.get<{ Querystring: { startIndex?: string; count?: string } }>(`/profile/identity/${version}/Users`, async (request) => {
      const access = await authenticateBearer(core, request);
      requireScope(access, 'identity.user.core.read');
      const startIndex = Math.max(1, Number.parseInt(request.query.startIndex ?? '1', 10) || 1);
      const count = Math.min(1000, Math.max(0, Number.parseInt(request.query.count ?? '100', 10) || 100));
      const { items, total } = access.principal.companyId
        ? await core.store.users.pageByCompany(access.principal.companyId, { offset: Math.min(startIndex - 1, Number.MAX_SAFE_INTEGER), limit: count })
        : { items: [], total: 0 };
      return {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
        totalResults: total, startIndex, itemsPerPage: items.length,
        Resources: items.map(identityUser),
      };
    });

    app.get<{ Params: { id: string } }>(`/profile/identity/${version}/Users/:id`, async (request) => {
      const access = await authenticateBearer(core, request);
      requireScope(access, 'identity.user.core.read');
      const user = await core.store.users.get(request.params.id.toLowerCase());
      if (!user || user.companyId !== access.principal.companyId) throw new ConcurError(404, { description: 'user not found' });
      return identityUser(user);
    });
  }
}
