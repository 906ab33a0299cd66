/**
 * Protected APIs that prove a token works and its scopes are enforced (PROTOCOL.md §8):
 * Profile v1 (`/me`, `/principals/{id}`) and the SCIM-style Identity v4/v4.1 Users.
 * A token sees only its own company.
 */
import type { FastifyInstance } from 'fastify';
import type { Core } from '../core/context.js';
import { ConcurError } from '../core/errors.js';
import type { AccessContext } from '../core/tokens.js';
import type { Company, User } from '../storage/types.js';
import { authenticateBearer, requireScope } from './bearer.js';

const enterpriseSchema = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const iso = (ms: number) => new Date(ms).toISOString();

function profileOfUser(core: Core, user: User) {
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
      location: `${core.geolocation()}/profile/v1/principals/${user.id}`,
    },
  };
}

function profileOfCompany(core: Core, company: Company) {
  return {
    id: company.id, name: company.name, companyDomain: company.domain,
    meta: { principalType: 'company', created: iso(company.createdAt), location: `${core.geolocation()}/profile/v1/principals/${company.id}` },
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
    if (user && user.companyId === companyId) return profileOfUser(core, user);
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

  app.get<{ Params: { id: string } }>('/profile/v1/principals/:id', async (request) => {
    const access = await authenticateBearer(core, request);
    return principalProfile(core, access, request.params.id.toLowerCase());
  });

  for (const version of ['v4', 'v4.1']) {
    app.get<{ Querystring: { startIndex?: string; count?: string } }>(`/profile/identity/${version}/Users`, async (request) => {
      const access = await authenticateBearer(core, request);
      requireScope(access, 'identity.user.core.read');
      const users = access.principal.companyId ? await core.store.users.listByCompany(access.principal.companyId) : [];
      const startIndex = Math.max(1, Number.parseInt(request.query.startIndex ?? '1', 10) || 1);
      const count = Math.min(1000, Math.max(0, Number.parseInt(request.query.count ?? '100', 10) || 100));
      const page = users.slice(startIndex - 1, startIndex - 1 + count);
      return {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
        totalResults: users.length, startIndex, itemsPerPage: page.length,
        Resources: page.map((user) => profileOfUser(core, user)),
      };
    });

    app.get<{ Params: { id: string } }>(`/profile/identity/${version}/Users/:id`, async (request) => {
      const access = await authenticateBearer(core, request);
      requireScope(access, 'identity.user.core.read');
      const user = await core.store.users.get(request.params.id.toLowerCase());
      if (!user || user.companyId !== access.principal.companyId) throw new ConcurError(404, { description: 'user not found' });
      return profileOfUser(core, user);
    });
  }
}
