/** Companies: the tenants. Each lives in one datacenter (its geolocation). */
import { randomUUID } from 'node:crypto';
import type { Core } from './context.js';
import type { Company } from '../storage/types.js';

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
