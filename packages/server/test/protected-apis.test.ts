/**
 * The protected APIs that prove a token works (docs/protocol.md §7–8): Profile v1 `/me` and
 * `/principals/{id}`, Identity v4/v4.1 Users, `DELETE /app-mgmt/v0/connections`, health, and the
 * Concur-format 404. A token is checked for signature, expiry and scope, and sees only its company.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompany, enableAppForCompany, ManualClock } from 'tessera-server';
import { convertRequestToken, makeApp, makeUser, postToken, startTestServer, testStoreKind, type TestServer } from './helpers.js';
import { expectConcurError, passwordForm, refreshForm, send } from './e2e-helpers.js';

const password = 'correct horse battery';
const clock = new ManualClock();
let t: TestServer;
let app: Awaited<ReturnType<typeof makeApp>>;
let alice: Awaited<ReturnType<typeof makeUser>>;
let bob: Awaited<ReturnType<typeof makeUser>>;
let carol: Awaited<ReturnType<typeof makeUser>>;
let otherCompanyId: string;

const userToken = async (loginId: string, scope?: string, client = app) => {
  const res = await postToken(t.url, passwordForm(client.clientId, client.clientSecret, loginId, password, scope ? { scope } : {}));
  expect(res.status).toBe(200);
  return res.body as { access_token: string; refresh_token: string; id_token: string };
};
const companyToken = async (scope?: string) => {
  const converted = await convertRequestToken(t, app.clientId, app.clientSecret);
  expect(converted.status).toBe(200);
  if (!scope) return converted.body as { access_token: string; refresh_token: string };
  const narrowed = await postToken(t.url, refreshForm(app.clientId, app.clientSecret, converted.body.refresh_token, { scope }));
  return narrowed.body as { access_token: string; refresh_token: string };
};
const appToken = async (scope?: string) => {
  const res = await postToken(t.url, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret, ...(scope ? { scope } : {}) });
  return res.body.access_token as string;
};

/** A 401 on a protected API: Concur body, WWW-Authenticate Bearer. */
function expectUnauthorized(res: Awaited<ReturnType<typeof send>>) {
  expectConcurError(res, 401, { description: /\S/ });
  expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
}
function expectForbidden(res: Awaited<ReturnType<typeof send>>) {
  expectConcurError(res, 403, { description: /\S/ });
}

beforeAll(async () => {
  t = await startTestServer({ clock });
  app = await makeApp(t, { scopes: ['openid', 'user.read', 'company.read', 'identity.user.core.read', 'expense.report.read'] });
  alice = await makeUser(t, 'alice@protected.test', password);
  bob = await makeUser(t, 'bob@protected.test', password);
  const other = await createCompany(t.server.core, { name: 'Other Co' });
  otherCompanyId = other.id;
  await enableAppForCompany(t.server.core, app.clientId, other.id);
  carol = await makeUser(t, 'carol@protected.test', password, other.id);
});
afterAll(async () => t?.close());

describe('GET /profile/v1/me', () => {
  it('a user token with user.read answers the user', async () => {
    const { access_token } = await userToken(alice.loginId);
    const res = await send(t.url, '/profile/v1/me', { token: access_token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: alice.id, userName: alice.loginId, active: true, travelIds: { companyId: t.companyId },
      emails: [{ value: alice.loginId, primary: true }],
    });
    expect(res.headers.get('concur-correlationid')).toBeTruthy();
  });

  it('a user token without user.read is refused with 403', async () => {
    const { access_token } = await userToken(alice.loginId, 'openid company.read');
    const res = await send(t.url, '/profile/v1/me', { token: access_token });
    expectForbidden(res);
    expect(res.body.error).toBe('insufficient_scope');
    expect(res.headers.get('www-authenticate')).toMatch(/insufficient_scope/);
  });

  it('a company token with company.read answers the company', async () => {
    const { access_token } = await companyToken();
    const res = await send(t.url, '/profile/v1/me', { token: access_token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: t.companyId, name: 'Test Company', meta: { principalType: 'company' } });
  });

  it('a company token without company.read is refused with 403', async () => {
    const { access_token } = await companyToken('user.read');
    expectForbidden(await send(t.url, '/profile/v1/me', { token: access_token }));
  });

  it('an application token has no profile: 403', async () => {
    expectForbidden(await send(t.url, '/profile/v1/me', { token: await appToken() }));
  });

  it('no token, a malformed token and a foreign scheme are 401', async () => {
    expectUnauthorized(await send(t.url, '/profile/v1/me'));
    expectUnauthorized(await send(t.url, '/profile/v1/me', { token: 'not-a-jwt' }));
    expectUnauthorized(await send(t.url, '/profile/v1/me', { headers: { authorization: 'Basic dXNlcjpwYXNz' } }));
    expectUnauthorized(await send(t.url, '/profile/v1/me', { headers: { authorization: 'Bearer' } }));
  });
});

describe('GET /profile/v1/principals/{id}', () => {
  it('answers a user or the company of the token\'s own company', async () => {
    const { access_token } = await userToken(alice.loginId);
    const res = await send(t.url, `/profile/v1/principals/${bob.id}`, { token: access_token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: bob.id, userName: bob.loginId });
    const upper = await send(t.url, `/profile/v1/principals/${bob.id.toUpperCase()}`, { token: access_token });
    expect(upper.body.id).toBe(bob.id);
    const company = await send(t.url, `/profile/v1/principals/${t.companyId}`, { token: access_token });
    expect(company.status).toBe(200);
    expect(company.body.meta.principalType).toBe('company');
  });

  it('another company\'s user or the company itself, or an unknown id, is 404', async () => {
    const { access_token } = await userToken(alice.loginId);
    for (const id of [carol.id, otherCompanyId, randomUUID(), 'nonsense']) {
      expectConcurError(await send(t.url, `/profile/v1/principals/${id}`, { token: access_token }), 404, { description: 'principal not found' });
    }
    // and the other way round
    const carolToken = await userToken(carol.loginId);
    expectConcurError(await send(t.url, `/profile/v1/principals/${alice.id}`, { token: carolToken.access_token }), 404, { description: 'principal not found' });
  });
});

describe('Identity v4 / v4.1 Users', () => {
  for (const version of ['v4', 'v4.1']) {
    it(`${version}: 401 without a token, with a bad one, a tampered one, an id_token, an expired one`, async () => {
      const path = `/profile/identity/${version}/Users`;
      expectUnauthorized(await send(t.url, path));
      expectUnauthorized(await send(t.url, path, { token: 'abc.def.ghi' }));
      const { access_token, id_token } = await userToken(alice.loginId);
      const [h, p, s] = access_token.split('.');
      const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
      const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: carol.id })).toString('base64url')}.${s}`;
      expectUnauthorized(await send(t.url, path, { token: forged }));
      expectUnauthorized(await send(t.url, path, { token: `${h}.${p}.` }));
      expectUnauthorized(await send(t.url, path, { token: id_token }));
      expect((await send(t.url, path, { token: access_token })).status).toBe(200);
      clock.advance(3601 * 1000);
      try {
        expectUnauthorized(await send(t.url, path, { token: access_token }));
        expectUnauthorized(await send(t.url, `${path}/${alice.id}`, { token: access_token }));
      } finally {
        clock.advance(-3601 * 1000);
      }
    });

    it(`${version}: 403 without identity.user.core.read`, async () => {
      const { access_token } = await userToken(alice.loginId, 'openid user.read');
      const res = await send(t.url, `/profile/identity/${version}/Users`, { token: access_token });
      expectForbidden(res);
      expect(res.headers.get('www-authenticate')).toMatch(/identity\.user\.core\.read/);
      expectForbidden(await send(t.url, `/profile/identity/${version}/Users/${bob.id}`, { token: access_token }));
    });

    it(`${version}: lists and reads only the token's company`, async () => {
      const { access_token } = await userToken(alice.loginId);
      const list = await send(t.url, `/profile/identity/${version}/Users`, { token: access_token });
      expect(list.status).toBe(200);
      expect(list.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:ListResponse']);
      const ids = (list.body.Resources as Array<{ id: string }>).map((r) => r.id);
      expect(ids.sort()).toEqual([alice.id, bob.id].sort());
      expect(list.body.totalResults).toBe(2);

      expect((await send(t.url, `/profile/identity/${version}/Users/${bob.id}`, { token: access_token })).body.id).toBe(bob.id);
      expectConcurError(await send(t.url, `/profile/identity/${version}/Users/${carol.id}`, { token: access_token }), 404, { description: 'user not found' });

      const carolToken = await userToken(carol.loginId);
      const carolList = await send(t.url, `/profile/identity/${version}/Users`, { token: carolToken.access_token });
      expect((carolList.body.Resources as Array<{ id: string }>).map((r) => r.id)).toEqual([carol.id]);

      const company = await companyToken();
      const companyList = await send(t.url, `/profile/identity/${version}/Users`, { token: company.access_token });
      expect(companyList.body.totalResults).toBe(2);
    });

    it(`${version}: paging with startIndex and count`, async () => {
      const { access_token } = await userToken(alice.loginId);
      const page = await send(t.url, `/profile/identity/${version}/Users?startIndex=2&count=1`, { token: access_token });
      expect(page.body).toMatchObject({ totalResults: 2, startIndex: 2, itemsPerPage: 1 });
      const junk = await send(t.url, `/profile/identity/${version}/Users?startIndex=-5&count=abc`, { token: access_token });
      expect(junk.status).toBe(200);
      // Paged in the store: past the end, and far past it, is an empty page with the total.
      for (const startIndex of ['3', '99999999999999999999999']) {
        const past = await send(t.url, `/profile/identity/${version}/Users?startIndex=${startIndex}&count=5`, { token: access_token });
        expect(past.status).toBe(200);
        expect(past.body).toMatchObject({ totalResults: 2, itemsPerPage: 0, Resources: [] });
      }
    });
  }
});

describe('DELETE /app-mgmt/v0/connections', () => {
  it('revokes every refresh token of that principal for that app, and nothing else', async () => {
    const otherApp = await makeApp(t, { name: 'Other app' });
    const aliceOne = await userToken(alice.loginId);
    const aliceTwo = await userToken(alice.loginId);
    const aliceOtherApp = await userToken(alice.loginId, undefined, otherApp);
    const bobs = await userToken(bob.loginId);
    const company = await companyToken();

    const res = await send(t.url, '/app-mgmt/v0/connections', { method: 'DELETE', token: aliceOne.access_token, headers: { 'concur-correlationid': 'disconnect-alice' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('concur-correlationid')).toBe('disconnect-alice');

    const refresh = (client: typeof app, token: string) => postToken(t.url, refreshForm(client.clientId, client.clientSecret, token));
    expectConcurError(await refresh(app, aliceOne.refresh_token), 108);
    expectConcurError(await refresh(app, aliceTwo.refresh_token), 108);
    expect((await refresh(otherApp, aliceOtherApp.refresh_token)).status).toBe(200);
    expect((await refresh(app, bobs.refresh_token)).status).toBe(200);
    expect((await refresh(app, company.refresh_token)).status).toBe(200);

    // a new sign-in makes a new connection that works
    const again = await userToken(alice.loginId);
    expect((await refresh(app, again.refresh_token)).status).toBe(200);
  });

  it('a company token disconnects the company', async () => {
    const company = await companyToken();
    expect((await send(t.url, '/app-mgmt/v0/connections', { method: 'DELETE', token: company.access_token })).status).toBe(200);
    expectConcurError(await postToken(t.url, refreshForm(app.clientId, app.clientSecret, company.refresh_token)), 108);
  });

  it('401 without a valid token, 403 with an application token', async () => {
    expectUnauthorized(await send(t.url, '/app-mgmt/v0/connections', { method: 'DELETE' }));
    expectUnauthorized(await send(t.url, '/app-mgmt/v0/connections', { method: 'DELETE', token: 'x.y.z' }));
    expectForbidden(await send(t.url, '/app-mgmt/v0/connections', { method: 'DELETE', token: await appToken() }));
  });
});

describe('health and unknown paths', () => {
  it('/healthz and /readyz', async () => {
    const health = await send(t.url, '/healthz');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok' });
    const ready = await send(t.url, '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', store: testStoreKind });
  });

  it('an unknown path or method answers 404 in the Concur format', async () => {
    for (const [method, path] of [['GET', '/nope'], ['POST', '/oauth2/v0/nope'], ['GET', '/oauth2/v0/token'], ['PUT', '/profile/v1/me'], ['DELETE', '/healthz']]) {
      const res = await send(t.url, path!, { method: method! });
      expectConcurError(res, 404, { description: `no resource at ${method} ${path}` });
    }
    const withQuery = await send(t.url, '/nope?client_secret=hidden');
    expectConcurError(withQuery, 404, { description: 'no resource at GET /nope' });
  });
});
