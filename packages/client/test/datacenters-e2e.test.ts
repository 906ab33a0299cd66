/**
 * The SDK against a two-datacenter Tessera (docs/protocol.md §10): a user of an eu2 company signs
 * in through us2, the SDK follows code 16 once to eu2, keeps eu2 as the geolocation, and refreshes
 * and calls the APIs there; a company conversion through us2 lands on eu2 the same way.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenManager, type FetchLike } from 'tessera-client';
import { createCompany, createUser, enableAppForCompany, generateRequestToken } from 'tessera-server';
import { makeApp, startTestServer, type TestServer } from '../../server/test/helpers.js';

/** A fetch that notes every token request as `origin grant_type → status`. */
function countingFetch() {
  const tokenRequests: string[] = [];
  const fetch: FetchLike = async (input, init) => {
    const url = new URL(String(input));
    const response = await globalThis.fetch(input, init);
    if (url.pathname === '/oauth2/v0/token') tokenRequests.push(`${url.origin} ${new URLSearchParams(String(init?.body)).get('grant_type')} ${response.status}`);
    return response;
  };
  return { fetch, tokenRequests };
}

describe('the SDK across two datacenters', () => {
  let t: TestServer;
  let us2: string;
  let eu2: string;
  let companyId: string;
  let app: { clientId: string; clientSecret: string };
  const loginId = `pat-${randomUUID()}`;
  const password = 'correct horse battery';

  beforeAll(async () => {
    t = await startTestServer({ settings: { datacenters: 'us2=http://127.0.0.1:0,eu2=http://127.0.0.1:0' } });
    ({ us2, eu2 } = t.server.datacenters as { us2: string; eu2: string });
    companyId = (await createCompany(t.server.core, { name: 'EU Co', geolocation: eu2 })).id;
    app = await makeApp(t, { name: 'Expense Sync' });
    await enableAppForCompany(t.server.core, app.clientId, companyId);
    await createUser(t.server.core, { companyId, loginId, password });
  });
  afterAll(async () => {
    await t.close();
  });

  it('signs a user in through us2, follows 16 once to eu2, and refreshes and calls on eu2', async () => {
    const counting = countingFetch();
    const manager = new TokenManager({ ...app, datacenter: us2, fetch: counting.fetch });
    const token = await manager.passwordGrant(loginId, password);
    expect(token.geolocation).toBe(eu2);
    expect((await manager.connection())?.geolocation).toBe(eu2);
    await manager.refresh();
    const me = await manager.fetch('/profile/v1/me');
    expect(me.status).toBe(200);
    expect(new URL(me.url).origin).toBe(eu2);
    expect(counting.tokenRequests).toEqual([`${us2} password 400`, `${eu2} password 200`, `${eu2} refresh_token 200`]);
  });

  it('converts a company request token through us2 and then refreshes on eu2', async () => {
    const counting = countingFetch();
    const manager = new TokenManager({ ...app, datacenter: us2, fetch: counting.fetch });
    const { companyUUID, requestToken } = await generateRequestToken(t.server.core, app.clientId, companyId);
    const converted = await manager.convertRequestToken(companyUUID, requestToken);
    expect(converted.geolocation).toBe(eu2);
    await manager.refresh();
    expect(counting.tokenRequests).toEqual([`${us2} password 200`, `${eu2} refresh_token 200`]);
  });
});
