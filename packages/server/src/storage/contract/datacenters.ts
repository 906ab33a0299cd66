/** Storage contract: a company's home datacenter (docs/protocol.md §10). */
import { describe, expect, it } from 'vitest';
import { aCompany, type StoreOf } from './fixtures.js';

export function datacentersContract(store: StoreOf): void {
  describe('home datacenters', () => {
    it('moves a company to another datacenter and back to none, leaving the others alone', async () => {
      const company = aCompany({ geolocation: 'https://us2.api.concursolutions.com' });
      const other = aCompany();
      await store().companies.create(company);
      await store().companies.create(other);
      expect(await store().companies.setGeolocation(company.id, 'https://eu2.api.concursolutions.com')).toBe(true);
      expect(await store().companies.get(company.id)).toEqual({ ...company, geolocation: 'https://eu2.api.concursolutions.com' });
      expect(await store().companies.setGeolocation(company.id, null)).toBe(true);
      expect((await store().companies.get(company.id))?.geolocation).toBeNull();
      expect(await store().companies.get(other.id)).toEqual(other);
    });

    it('answers false for a company that does not exist', async () => {
      expect(await store().companies.setGeolocation('no-such-company', 'https://eu2.api.concursolutions.com')).toBe(false);
    });
  });
}
