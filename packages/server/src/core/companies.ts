/** Companies: the tenants. Each lives in one datacenter (its geolocation). */
import { Refusals } from 'tessera-protocol';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Actor } from './actor.js';
import type { Core } from './context.js';
import { ConcurError } from './errors.js';
import { invalidField, parseInput } from './validation.js';
import type { Company } from './model.js';

export interface NewCompany {
  name: string;
  /** Only for a company in another datacenter; by default it lives where this node serves. */
  geolocation?: string;
  domain?: string;
}

export async function createCompany(core: Core, input: NewCompany): Promise<Company> {
  const name = input.name.trim();
  if (!name || name.length > 200) throw new RangeError('a company name of 1 to 200 characters is required');
  const company: Company = {
    id: randomUUID(), name, geolocation: input.geolocation === undefined ? null : baseUrl(input.geolocation), domain: input.domain ?? null,
    enabled: true, createdAt: core.clock.now(),
  };
  await core.store.companies.create(company);
  return company;
}

/**
 * A geolocation as datacenters are compared (docs/protocol.md §10): `HTTPS://EU2.example:443/` is
 * `https://eu2.example`, or a company would be sent elsewhere (code 16) by its own datacenter.
 */
function baseUrl(geolocation: string): string {
  const trimmed = geolocation.trim().replace(/\/+$/, '');
  try {
    const url = new URL(trimmed);
    return url.pathname === '/' && !url.search && !url.hash ? url.origin : trimmed;
  } catch {
    return trimmed;
  }
}

/** A company as `tessera admin companies` shows it. */
export const companyView = (company: Company) => ({
  id: company.id, name: company.name, geolocation: company.geolocation, createdAt: new Date(company.createdAt).toISOString(),
});
export type CompanyView = ReturnType<typeof companyView>;

/** Companies span tenants: only the operator of the store manages them, never an administrator (403). */
function requireOperator(actor: Actor): void {
  if (actor.actorType !== 'operator') throw new ConcurError(Refusals.operatorOnly);
}

export const NewCompanySchema = z.object({
  name: z.string({ error: 'is required' }).trim().min(1, 'is required').max(200, 'must be at most 200 characters'),
  geolocation: z.string().trim().url('must be the base URL of a datacenter, e.g. https://us2.api.concursolutions.com').optional(),
}).strict();

/** Creates a company (operators only); audited as `company.created` in the new company's trail. */
export async function createCompanyFor(core: Core, actor: Actor, input: unknown): Promise<CompanyView> {
  requireOperator(actor);
  const fields = parseInput(NewCompanySchema, input);
  const company = await createCompany(core, fields);
  core.audit.record({
    action: 'company.created', outcome: 'success', ...actor, companyId: company.id, principalId: company.id,
    detail: { name: company.name, geolocation: company.geolocation },
  });
  return companyView(company);
}

/** Every company, oldest first (operators only). */
export async function listCompaniesFor(core: Core, actor: Actor): Promise<CompanyView[]> {
  requireOperator(actor);
  return (await core.store.companies.list()).map(companyView);
}

/**
 * `datacenter`: a name of the `datacenters` setting (`eu2`), a datacenter's base URL (also one this
 * deployment does not serve, e.g. SAP Concur's), or null: no home, served by whichever datacenter
 * the request reaches (docs/protocol.md §10).
 */
export const HomeDatacenterSchema = z.object({
  datacenter: z.union([z.string().trim().min(1, 'is required').max(300, 'must be at most 300 characters'), z.null()], { error: 'is required: a datacenter name, a base URL or null' }),
}).strict();

/** A datacenter name of this deployment or a base URL → the URL stored as the company's geolocation; 400 naming `datacenter` otherwise. */
export function homeGeolocation(core: Core, datacenter: string | null): string | null {
  if (datacenter === null) return null;
  const named = core.datacenters().find((dc) => dc.name === datacenter.toLowerCase());
  if (named) return named.url;
  let url: URL | undefined;
  try {
    url = new URL(datacenter);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.pathname !== '/' || url.search || url.hash) {
    const names = core.datacenters().map((dc) => dc.name);
    throw invalidField('datacenter', `must be ${names.length ? `one of ${names.join(', ')}, or ` : ''}the base URL of a datacenter, e.g. https://eu2.api.concursolutions.com`);
  }
  return url.origin;
}

/** A company's home datacenter as the console and `tessera admin` show it: its geolocation and the name this deployment gives it. */
export const homeDatacenterView = (core: Core, company: Company) => ({
  id: company.id, name: company.name, geolocation: company.geolocation,
  datacenter: core.datacenters().find((dc) => dc.url === company.geolocation)?.name ?? null,
  datacenters: core.datacenters().map((dc) => ({ name: dc.name, url: dc.url })),
});

/**
 * Moves `companyId` to another home datacenter (docs/protocol.md §10): from then on its users sign
 * in, get OTPs and refresh only there (code 16 elsewhere). Audited as `company.datacenter-changed`.
 */
export async function setHomeDatacenterFor(core: Core, actor: Actor, companyId: string, input: unknown) {
  const { datacenter } = parseInput(HomeDatacenterSchema, input);
  const geolocation = homeGeolocation(core, datacenter);
  // Clients follow code 16 to the geolocation with their client secret and the user's password
  // (docs/protocol.md §10): a company administrator, who may connect other companies' apps, picks
  // only a datacenter of this deployment or of SAP Concur; any other URL is the operator's choice.
  if (geolocation !== null && actor.actorType !== 'operator' && !isDeploymentOrConcurDatacenter(core, geolocation)) {
    throw invalidField('datacenter', 'must be a datacenter of this deployment or an SAP Concur datacenter (https://….api.concursolutions.com); the operator sets any other URL with tessera admin');
  }
  const company = await core.store.companies.get(companyId);
  if (!company || !(await core.store.companies.setGeolocation(company.id, geolocation))) {
    throw invalidField('company', `no company ${companyId}`);
  }
  core.audit.record({
    action: 'company.datacenter-changed', outcome: 'success', ...actor, companyId: company.id, principalId: company.id,
    detail: { from: company.geolocation, to: geolocation },
  });
  return homeDatacenterView(core, { ...company, geolocation });
}

/** SAP Concur's datacenter hosts (docs/protocol.md §10), https only. */
const concurHost = /^[a-z0-9-]+\.api\.(concursolutions\.com|concurcdc\.cn)$/;

function isDeploymentOrConcurDatacenter(core: Core, geolocation: string): boolean {
  if (core.datacenters().some((dc) => dc.url === geolocation) || geolocation === servedGeolocation(core)) return true;
  const url = new URL(geolocation);
  return url.protocol === 'https:' && url.port === '' && concurHost.test(url.hostname);
}

function servedGeolocation(core: Core): string | undefined {
  try {
    return core.geolocation();
  } catch {
    return undefined; // not listening yet
  }
}
