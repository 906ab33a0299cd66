/** Companies: the tenants. Each lives in one datacenter (its geolocation). */
import { Refusals } from 'tessera-protocol';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Actor } from './actor.js';
import type { Core } from './context.js';
import { ConcurError } from './errors.js';
import { parseInput } from './validation.js';
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
    id: randomUUID(), name, geolocation: input.geolocation?.replace(/\/+$/, '') ?? null, domain: input.domain ?? null,
    enabled: true, createdAt: core.clock.now(),
  };
  await core.store.companies.create(company);
  return company;
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
