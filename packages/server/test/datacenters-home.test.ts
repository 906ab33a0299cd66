/**
 * Who may point a company at which home datacenter (docs/protocol.md §10). Clients follow code 16
 * to the company's geolocation with their client secret and the user's password, so a company
 * administrator (who may connect apps of other companies) picks only a datacenter of this
 * deployment or of SAP Concur; the operator (`tessera admin`) may set any base URL.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompanyFor, createUser, enableAppForCompany, operatorActor, setHomeDatacenterFor } from 'tessera-server';
import { AdminClient, expectConcurError, makeTenant } from './admin-helpers.js';
import { makeApp, postToken, startTestServer, type TestServer } from './helpers.js';

describe('a company administrator choosing the home datacenter', () => {
  let t: TestServer;
  let us2: string;
  let eu2: string;
  beforeAll(async () => {
    t = await startTestServer({ settings: { datacenters: 'us2=http://127.0.0.1:0,eu2=http://127.0.0.1:0' } });
    ({ us2, eu2 } = t.server.datacenters as { us2: string; eu2: string });
  });
  afterAll(() => t.close());

  it('cannot send its users\' clients (and their secrets) to a host of its choosing', async () => {
    const tenant = await makeTenant(t, 'Redirectors', `admin-${randomUUID()}`);
    const admin = new AdminClient(us2);
    expect((await admin.signIn(tenant.adminLoginId)).status).toBe(200);
    for (const datacenter of ['https://collector.attacker.example', 'http://127.0.0.1:9', 'https://eu2.api.concursolutions.com.attacker.example', 'http://us2.api.concursolutions.com']) {
      const refused = expectConcurError(await admin.patch('/company', { datacenter }), 400);
      expect(refused.fields?.[0], datacenter).toMatchObject({ field: 'datacenter' });
    }
    expect((await admin.get('/company')).body.geolocation).toBeNull();
    // A code 16 never names such a host.
    const login = `lee-${randomUUID()}`;
    await createUser(t.server.core, { companyId: tenant.companyId, loginId: login, password: 'right password' });
    const answer = await postToken(us2, {
      grant_type: 'password', credtype: 'password', client_id: tenant.app.clientId, client_secret: tenant.app.clientSecret, username: login, password: 'right password',
    });
    expect(answer.status).toBe(200);
  });

  it('still picks this deployment\'s datacenters, SAP Concur\'s, or none', async () => {
    const tenant = await makeTenant(t, 'Movers', `admin-${randomUUID()}`);
    const admin = new AdminClient(us2);
    expect((await admin.signIn(tenant.adminLoginId)).status).toBe(200);
    expect((await admin.patch('/company', { datacenter: 'eu2' })).body).toMatchObject({ geolocation: eu2 });
    expect((await admin.patch('/company', { datacenter: `${us2}/` })).body).toMatchObject({ geolocation: us2 });
    expect((await admin.patch('/company', { datacenter: 'https://emea.api.concursolutions.com' })).body).toMatchObject({ geolocation: 'https://emea.api.concursolutions.com' });
    expect((await admin.patch('/company', { datacenter: null })).body).toMatchObject({ geolocation: null });
  });

  it('leaves any base URL to the operator', async () => {
    const tenant = await makeTenant(t, 'Operated', `admin-${randomUUID()}`);
    const moved = await setHomeDatacenterFor(t.server.core, operatorActor, tenant.companyId, { datacenter: 'https://tessera.internal.example:8443' });
    expect(moved.geolocation).toBe('https://tessera.internal.example:8443');
  });

  it('serves a company the operator created with its home URL spelled differently, at home', async () => {
    const spelled = `${eu2.replace('http://', 'HTTP://')}/`;
    const company = await createCompanyFor(t.server.core, operatorActor, { name: 'Spelled', geolocation: spelled });
    expect(company.geolocation).toBe(eu2);
    const app = await makeApp(t, { name: 'Spelled App' });
    await enableAppForCompany(t.server.core, app.clientId, company.id);
    const login = `sam-${randomUUID()}`;
    await createUser(t.server.core, { companyId: company.id, loginId: login, password: 'right password' });
    const form = { grant_type: 'password', credtype: 'password', client_id: app.clientId, client_secret: app.clientSecret, username: login, password: 'right password' };
    expect((await postToken(eu2, form)).status).toBe(200);
    expect((await postToken(us2, form)).body).toMatchObject({ code: 16, geolocation: eu2 });
  });
});
