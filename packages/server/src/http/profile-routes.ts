/**
 * Protected APIs that prove a token works and its scopes are enforced (docs/protocol.md §8):
 * Profile v1 (`/me`, `/principals/{id}`), the SCIM-style Identity v4/v4.1 Users, and the
 * OpenID Connect UserInfo endpoint (a Tessera extension).
 * A token sees only its own company (`core/directory.ts` decides what; these routes shape the answers).
 */
import type { FastifyInstance } from 'fastify';
import { Paths, Refusals } from 'tessera-protocol';
import type { Core } from '../core/context.js';
import { ownPrincipal, principalVisibleTo, userInfoFor, usersVisibleTo, userVisibleTo, type VisiblePrincipal } from '../core/directory.js';
import type { Company, User } from '../core/model.js';
import { authenticateBearer } from './bearer.js';

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

/** Profile v1's view of a principal. */
const profileOf = (core: Core, visible: VisiblePrincipal) => (visible.type === 'company'
  ? profileOfCompany(core, visible.company)
  : profileOfUser(visible.user, principalLocation(core, visible.user.id)));

export function registerProfileRoutes(app: FastifyInstance, core: Core): void {
  app.get('/profile/v1/me', async (request) => {
    return profileOf(core, await ownPrincipal(core, await authenticateBearer(core, request)));
  });

  // OIDC Core §5.3.1: the client may send the UserInfo request with GET or POST.
  app.route({
    method: ['GET', 'POST'],
    url: Paths.userinfo,
    handler: async (request, reply) => {
      const access = await authenticateBearer(core, request);
      return reply.header('cache-control', 'no-store').send(await userInfoFor(core, access));
    },
  });

  app.get<{ Params: { id: string } }>('/profile/v1/principals/:id', async (request) => {
    const access = await authenticateBearer(core, request);
    return profileOf(core, await principalVisibleTo(core, access, request.params.id));
  });

  for (const version of ['v4', 'v4.1']) {
    const identityUser = (user: User) => profileOfUser(user, `${core.geolocation()}/profile/identity/${version}/Users/${user.id}`);
    app.get<{ Querystring: { startIndex?: string; count?: string } }>(`/profile/identity/${version}/Users`, async (request) => {
      const access = await authenticateBearer(core, request);
      const page = await usersVisibleTo(core, access, {
        startIndex: Number.parseInt(request.query.startIndex ?? '', 10), count: Number.parseInt(request.query.count ?? '', 10),
      });
      return {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
        totalResults: page.total, startIndex: page.startIndex, itemsPerPage: page.items.length,
        Resources: page.items.map(identityUser),
      };
    });

    app.get<{ Params: { id: string } }>(`/profile/identity/${version}/Users/:id`, async (request) => {
      const access = await authenticateBearer(core, request);
      return identityUser(await userVisibleTo(core, access, request.params.id));
    });
  }
}
