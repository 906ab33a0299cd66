/**
 * The error table through real HTTP (docs/protocol.md §3, Decision 2): every failure the
 * password (credtype password and authtoken), refresh_token and client_credentials grants can
 * meet answers the right status, code, error, error_description and headers, malformed input
 * never yields a 500, and a refused request changes nothing.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompany, enableAppForCompany, ManualClock, updateApp } from 'tessera-server';
import {
  convertRequestToken, makeApp, makeRequestToken, makeUser, postToken, startTestServer, type TestServer,
} from './helpers.js';
import {
  authtokenForm, DAY, expectClientError, expectConcurError, passwordForm, postRaw, refreshForm, send, setCompanyEnabled,
} from './e2e-helpers.js';

const clock = new ManualClock();
const maxFailedLogins = 3;
const lockoutSeconds = 120;
const bodyLimit = 4096;
const password = 'correct horse battery';

let t: TestServer;
let app: Awaited<ReturnType<typeof makeApp>>;
let userSeq = 0;

/** A fresh user, so lockouts and status changes of one test never leak into another. */
async function freshUser(companyId?: string) {
  return makeUser(t, `user${++userSeq}@errors.test`, password, companyId);
}

beforeAll(async () => {
  t = await startTestServer({ clock, settings: { maxFailedLogins, lockoutSeconds, bodyLimit } });
  app = await makeApp(t);
});
afterAll(async () => t?.close());

describe('client authentication', () => {
  it('65: grant_type missing', async () => {
    expectConcurError(await postToken(t.url, { client_id: app.clientId, client_secret: app.clientSecret }), 65);
  });

  it('62: client_id missing, 63: client_secret missing', async () => {
    expectConcurError(await postToken(t.url, { grant_type: 'client_credentials', client_secret: app.clientSecret }), 62);
    expectConcurError(await postToken(t.url, { grant_type: 'client_credentials', client_id: app.clientId }), 63);
    expectConcurError(await postToken(t.url, { grant_type: 'client_credentials', client_id: '', client_secret: '' }), 62);
  });

  it('61: unknown client (a UUID nobody has, and something that is not a UUID) is a 401 with WWW-Authenticate', async () => {
    for (const clientId of [randomUUID(), 'not-a-client', app.clientId.toUpperCase().replace(/[0-9A-F]$/, 'x')]) {
      const res = await postToken(t.url, { grant_type: 'client_credentials', client_id: clientId, client_secret: app.clientSecret });
      expectConcurError(res, 61);
    }
  });

  it('64: wrong secret, in the body or in HTTP Basic, is a 401 with WWW-Authenticate', async () => {
    expectConcurError(await postToken(t.url, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: randomUUID() }), 64);
    const basic = Buffer.from(`${app.clientId}:${randomUUID()}`).toString('base64');
    expectConcurError(await postToken(t.url, { grant_type: 'client_credentials' }, { headers: { authorization: `Basic ${basic}` } }), 64);
  });

  it('the client id is case-insensitive, the secret is not', async () => {
    const ok = await postToken(t.url, { grant_type: 'client_credentials', client_id: app.clientId.toUpperCase(), client_secret: app.clientSecret });
    expect(ok.status).toBe(200);
    const res = await postToken(t.url, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret.toUpperCase() });
    expectConcurError(res, 64);
  });

  it('59: a disabled app is refused on every grant', async () => {
    const disabled = await makeApp(t, { name: 'Disabled App' });
    const user = await freshUser();
    const { requestToken } = await makeRequestToken(t, disabled.clientId);
    const conversion = await postToken(t.url, authtokenForm(disabled.clientId, disabled.clientSecret, t.companyId, requestToken));
    expect(conversion.status).toBe(200);
    await updateApp(t.server.core, disabled.app, { enabled: false });

    for (const form of [
      { grant_type: 'client_credentials', client_id: disabled.clientId, client_secret: disabled.clientSecret },
      passwordForm(disabled.clientId, disabled.clientSecret, user.loginId, password),
      authtokenForm(disabled.clientId, disabled.clientSecret, t.companyId, requestToken),
      refreshForm(disabled.clientId, disabled.clientSecret, conversion.body.refresh_token),
    ]) {
      expectConcurError(await postToken(t.url, form), 59);
    }
  });

  it('60: an unknown grant, and a known grant the app is not allowed', async () => {
    for (const grant of ['magic', 'authorization_code', 'otp', 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'PASSWORD']) {
      expectConcurError(await postToken(t.url, { grant_type: grant, client_id: app.clientId, client_secret: app.clientSecret }), 60);
    }
    const ccOnly = await makeApp(t, { name: 'CC only', grants: ['client_credentials'] });
    const user = await freshUser();
    expectConcurError(await postToken(t.url, passwordForm(ccOnly.clientId, ccOnly.clientSecret, user.loginId, password)), 60);
    const { requestToken } = await makeRequestToken(t, ccOnly.clientId);
    expectConcurError(await postToken(t.url, authtokenForm(ccOnly.clientId, ccOnly.clientSecret, t.companyId, requestToken)), 60);

    const passwordOnly = await makeApp(t, { name: 'Password only', grants: ['password'] });
    expectConcurError(await postToken(t.url, { grant_type: 'client_credentials', client_id: passwordOnly.clientId, client_secret: passwordOnly.clientSecret }), 60);
  });

  it('107: an app without refresh_token among its grants may not refresh', async () => {
    const noRefresh = await makeApp(t, { name: 'No refresh', grants: ['password'] });
    const converted = await convertRequestToken(t, noRefresh.clientId, noRefresh.clientSecret);
    expect(converted.status).toBe(200);
    const refused = await postToken(t.url, refreshForm(noRefresh.clientId, noRefresh.clientSecret, converted.body.refresh_token));
    expectConcurError(refused, 107);
    // Concur's published Response Codes table, literally
    expect(refused.body).toEqual({ code: 107, error: 'invalid_request', error_description: 'refresh disallowed for app' });
    expect(refused.status).toBe(400);
  });
});

describe('password grant, credtype=password', () => {
  it('120: a credtype other than password or authtoken', async () => {
    const user = await freshUser();
    for (const credtype of ['otp', 'Password', 'AUTHTOKEN', '']) {
      expectConcurError(await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, password, { credtype })), 120);
    }
  });

  it('51: username missing, 52: password missing', async () => {
    expectConcurError(await postToken(t.url, { grant_type: 'password', client_id: app.clientId, client_secret: app.clientSecret, password }), 51);
    expectConcurError(await postToken(t.url, { grant_type: 'password', client_id: app.clientId, client_secret: app.clientSecret, username: 'x@y' }), 52);
    expectConcurError(await postToken(t.url, passwordForm(app.clientId, app.clientSecret, '', password)), 51);
  });

  it('5: a wrong password and an unknown login id answer the same', async () => {
    const user = await freshUser();
    const wrong = await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, 'not the password'));
    expectConcurError(wrong, 5);
    const unknown = await postToken(t.url, passwordForm(app.clientId, app.clientSecret, 'nobody@errors.test', password));
    expectConcurError(unknown, 5);
    expect(unknown.body).toEqual(wrong.body);
  });

  it('10: a disabled user', async () => {
    const user = await freshUser();
    await t.server.core.store.users.setStatus(user.id, 'disabled', clock.now());
    expectConcurError(await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, password)), 10);
  });

  it('11: a user of a disabled company', async () => {
    const company = await createCompany(t.server.core, { name: 'Disabled Co' });
    await enableAppForCompany(t.server.core, app.clientId, company.id);
    const user = await freshUser(company.id);
    await setCompanyEnabled(t, company.id, false);
    expectConcurError(await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, password)), 11);
  });

  it('14: locked after maxFailedLogins failures, even with the right password; lifted after lockoutSeconds', async () => {
    const user = await freshUser();
    for (let i = 1; i < maxFailedLogins; i++) {
      expectConcurError(await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, `wrong ${i}`)), 5);
    }
    expectConcurError(await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, 'wrong again')), 14);
    expectConcurError(await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, password)), 14);

    clock.advance(lockoutSeconds * 1000 - 1000);
    expectConcurError(await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, password)), 14);
    clock.advance(2000);
    const ok = await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, password));
    expect(ok.status).toBe(200);
  });

  it('14: once a lockout has lifted, the count starts again (one typo does not lock again)', async () => {
    const user = await freshUser();
    for (let i = 0; i < maxFailedLogins; i++) {
      await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, `wrong ${i}`));
    }
    expectConcurError(await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, password)), 14);
    clock.advance(lockoutSeconds * 1000 + 1000);
    expectConcurError(await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, 'one typo')), 5);
    expect((await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, password))).status).toBe(200);
  });

  it('a success resets the failure count', async () => {
    const user = await freshUser();
    for (let round = 0; round < 2; round++) {
      for (let i = 1; i < maxFailedLogins; i++) {
        expectConcurError(await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, 'nope')), 5);
      }
      expect((await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, password))).status).toBe(200);
    }
  });

  it('16: a user whose company lives in another datacenter gets 400 with that geolocation', async () => {
    const elsewhere = 'https://eu2.tessera.test';
    const company = await createCompany(t.server.core, { name: 'EU Co', geolocation: `${elsewhere}/` });
    await enableAppForCompany(t.server.core, app.clientId, company.id);
    const user = await freshUser(company.id);
    const res = await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, password));
    expectConcurError(res, 16, { geolocation: elsewhere });
  });

  it("5: a user of a company that has not enabled or has withdrawn the app (answered as an unknown login id: no oracle across tenants)", async () => {
    const company = await createCompany(t.server.core, { name: 'Withdrawn Co' });
    const user = await freshUser(company.id);
    // never enabled
    expectConcurError(await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, password)), 5);
    await enableAppForCompany(t.server.core, app.clientId, company.id);
    expect((await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, password))).status).toBe(200);
    await t.server.core.store.apps.setCompanyGrant(app.clientId, company.id, false, clock.now());
    expectConcurError(await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, password)), 5);
  });

  it('54: a scope beyond the app\'s Allowed Scopes', async () => {
    const user = await freshUser();
    for (const scope of ['expense.report.read', 'openid expense.report.read', 'USER.READ']) {
      expectConcurError(await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, password, { scope })), 54);
    }
  });
});

describe('password grant, credtype=authtoken', () => {
  it('51/52 apply to the company conversion too', async () => {
    const { requestToken } = await makeRequestToken(t, app.clientId);
    expectConcurError(await postToken(t.url, authtokenForm(app.clientId, app.clientSecret, '', requestToken)), 51);
    expectConcurError(await postToken(t.url, authtokenForm(app.clientId, app.clientSecret, t.companyId, '')), 52);
  });

  it('136: an unknown request token', async () => {
    await makeRequestToken(t, app.clientId);
    expectConcurError(await postToken(t.url, authtokenForm(app.clientId, app.clientSecret, t.companyId, 'at-notarealtoken0000000000000000')), 136);
  });

  it('136: an expired request token (24 hours)', async () => {
    const fresh = await makeApp(t, { name: 'Expiry app' });
    const { requestToken } = await makeRequestToken(t, fresh.clientId);
    clock.advance(DAY + 1000);
    expectConcurError(await postToken(t.url, authtokenForm(fresh.clientId, fresh.clientSecret, t.companyId, requestToken)), 136);
  });

  it('136: used more than requestTokenMaxUses times', async () => {
    const fresh = await makeApp(t, { name: 'Uses app' });
    const { requestToken } = await makeRequestToken(t, fresh.clientId);
    for (let i = 0; i < t.server.core.settings.requestTokenMaxUses; i++) {
      expect((await postToken(t.url, authtokenForm(fresh.clientId, fresh.clientSecret, t.companyId, requestToken))).status).toBe(200);
    }
    expectConcurError(await postToken(t.url, authtokenForm(fresh.clientId, fresh.clientSecret, t.companyId, requestToken)), 136);
  });

  it('136: a request token of another app', async () => {
    const other = await makeApp(t, { name: 'Other app' });
    const { requestToken } = await makeRequestToken(t, other.clientId);
    expectConcurError(await postToken(t.url, authtokenForm(app.clientId, app.clientSecret, t.companyId, requestToken)), 136);
  });

  it('136 for another app counts a use of the token all the same', async () => {
    const other = await makeApp(t, { name: 'Counted app' });
    const { requestToken } = await makeRequestToken(t, other.clientId);
    expectConcurError(await postToken(t.url, authtokenForm(app.clientId, app.clientSecret, t.companyId, requestToken)), 136);
    for (let i = 1; i < t.server.core.settings.requestTokenMaxUses; i++) {
      expect((await postToken(t.url, authtokenForm(other.clientId, other.clientSecret, t.companyId, requestToken))).status).toBe(200);
    }
    expectConcurError(await postToken(t.url, authtokenForm(other.clientId, other.clientSecret, t.companyId, requestToken)), 136);
  });

  it('136: the wrong company UUID', async () => {
    const otherCompany = await createCompany(t.server.core, { name: 'Another Co' });
    await enableAppForCompany(t.server.core, app.clientId, otherCompany.id);
    const { requestToken } = await makeRequestToken(t, app.clientId);
    expectConcurError(await postToken(t.url, authtokenForm(app.clientId, app.clientSecret, otherCompany.id, requestToken)), 136);
    expectConcurError(await postToken(t.url, authtokenForm(app.clientId, app.clientSecret, randomUUID(), requestToken)), 136);
  });

  it('53: the company withdrew the app after the request token was made', async () => {
    const company = await createCompany(t.server.core, { name: 'Withdraws later' });
    const { requestToken } = await makeRequestToken(t, app.clientId, company.id);
    await t.server.core.store.apps.setCompanyGrant(app.clientId, company.id, false, clock.now());
    expectConcurError(await postToken(t.url, authtokenForm(app.clientId, app.clientSecret, company.id, requestToken)), 53);
  });

  it('11: a disabled company', async () => {
    const company = await createCompany(t.server.core, { name: 'Disabled for authtoken' });
    const { requestToken } = await makeRequestToken(t, app.clientId, company.id);
    await setCompanyEnabled(t, company.id, false);
    expectConcurError(await postToken(t.url, authtokenForm(app.clientId, app.clientSecret, company.id, requestToken)), 11);
  });

  it('54: a scope beyond the app\'s Allowed Scopes', async () => {
    const { requestToken } = await makeRequestToken(t, app.clientId);
    expectConcurError(await postToken(t.url, authtokenForm(app.clientId, app.clientSecret, t.companyId, requestToken, { scope: 'receipts.write' })), 54);
  });
});

describe('refresh_token grant', () => {
  it('106: refresh_token missing', async () => {
    expectConcurError(await postToken(t.url, { grant_type: 'refresh_token', client_id: app.clientId, client_secret: app.clientSecret }), 106);
    expectConcurError(await postToken(t.url, refreshForm(app.clientId, app.clientSecret, '')), 106);
  });

  it('108: unknown token (a UUID, and the 30-character form)', async () => {
    for (const token of [randomUUID(), '2d725xipty0z7ha3vlpy8b2c3hqxmw', 'x'.repeat(2000)]) {
      expectConcurError(await postToken(t.url, refreshForm(app.clientId, app.clientSecret, token)), 108);
    }
  });

  it('108: a revoked token', async () => {
    const converted = await convertRequestToken(t, app.clientId, app.clientSecret);
    const [connection] = await t.server.core.store.connections.listByApp(app.clientId, t.companyId);
    expect(connection).toBeDefined();
    await t.server.core.store.connections.revoke(connection!.id, clock.now());
    expectConcurError(await postToken(t.url, refreshForm(app.clientId, app.clientSecret, converted.body.refresh_token)), 108);
  });

  it('108: a token idle beyond refreshTokenTtl', async () => {
    const fresh = await makeApp(t, { name: 'Idle app' });
    const converted = await convertRequestToken(t, fresh.clientId, fresh.clientSecret);
    clock.advance(t.server.core.settings.refreshTokenTtl * 1000 + 1000);
    expectConcurError(await postToken(t.url, refreshForm(fresh.clientId, fresh.clientSecret, converted.body.refresh_token)), 108);
  });

  it('108: another app\'s token', async () => {
    const other = await makeApp(t, { name: 'Token owner' });
    const converted = await convertRequestToken(t, other.clientId, other.clientSecret);
    expectConcurError(await postToken(t.url, refreshForm(app.clientId, app.clientSecret, converted.body.refresh_token)), 108);
    // and it still works for its own app
    expect((await postToken(t.url, refreshForm(other.clientId, other.clientSecret, converted.body.refresh_token))).status).toBe(200);
  });

  it('123: the user was disabled after the connection was made', async () => {
    const user = await freshUser();
    const granted = await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, password));
    expect(granted.status).toBe(200);
    await t.server.core.store.users.setStatus(user.id, 'disabled', clock.now());
    const refused = await postToken(t.url, refreshForm(app.clientId, app.clientSecret, granted.body.refresh_token));
    expectConcurError(refused, 123);
    // Concur's published table says invalid_request; the status stays 403 (Decision 2 names 123)
    expect(refused.body).toEqual({ code: 123, error: 'invalid_request', error_description: 'principal is disabled' });
    expect(refused.status).toBe(403);
    await t.server.core.store.users.setStatus(user.id, 'active', clock.now());
    expect((await postToken(t.url, refreshForm(app.clientId, app.clientSecret, granted.body.refresh_token))).status).toBe(200);
  });

  it('123: the company was disabled after the connection was made', async () => {
    const company = await createCompany(t.server.core, { name: 'Disabled after connect' });
    const { requestToken } = await makeRequestToken(t, app.clientId, company.id);
    const converted = await postToken(t.url, authtokenForm(app.clientId, app.clientSecret, company.id, requestToken));
    expect(converted.status).toBe(200);
    await setCompanyEnabled(t, company.id, false);
    expectConcurError(await postToken(t.url, refreshForm(app.clientId, app.clientSecret, converted.body.refresh_token)), 123);
  });

  it('53: the company withdrew the app after the connection was made', async () => {
    const company = await createCompany(t.server.core, { name: 'Withdraws after connect' });
    const { requestToken } = await makeRequestToken(t, app.clientId, company.id);
    const converted = await postToken(t.url, authtokenForm(app.clientId, app.clientSecret, company.id, requestToken));
    await t.server.core.store.apps.setCompanyGrant(app.clientId, company.id, false, clock.now());
    expectConcurError(await postToken(t.url, refreshForm(app.clientId, app.clientSecret, converted.body.refresh_token)), 53);
  });

  it('54: a scope beyond what the connection was granted', async () => {
    const user = await freshUser();
    const narrow = await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, password, { scope: 'openid user.read' }));
    expect(narrow.status).toBe(200);
    // company.read is among the app's scopes but was not granted to this connection
    expectConcurError(await postToken(t.url, refreshForm(app.clientId, app.clientSecret, narrow.body.refresh_token, { scope: 'company.read' })), 54);
    expectConcurError(await postToken(t.url, refreshForm(app.clientId, app.clientSecret, narrow.body.refresh_token, { scope: 'nope.read' })), 54);
  });
});

describe('client_credentials grant', () => {
  it('54: a scope beyond the app\'s Allowed Scopes', async () => {
    expectConcurError(await postToken(t.url, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret, scope: 'openid receipts.read' }), 54);
  });
});

describe('135: unsupported request format', () => {
  const formOnly = 'the body must be application/x-www-form-urlencoded';
  const anyText = /\S/;
  const validForm = () => new URLSearchParams({ grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret }).toString();

  it('a JSON body (valid and invalid JSON)', async () => {
    const json = JSON.stringify({ grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret });
    expectConcurError(await postRaw(t.url, json, 'application/json'), 135, { description: formOnly });
    expectConcurError(await postRaw(t.url, '{"grant_type":', 'application/json'), 135, { description: anyText });
    expectConcurError(await postRaw(t.url, '', 'application/json'), 135, { description: anyText });
  });

  it('text/plain, multipart and other media types', async () => {
    expectConcurError(await postRaw(t.url, validForm(), 'text/plain'), 135, { description: formOnly });
    expectConcurError(await postRaw(t.url, validForm(), 'application/xml'), 135, { description: formOnly });
    const multipart = `--b\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nclient_credentials\r\n--b--\r\n`;
    expectConcurError(await postRaw(t.url, multipart, 'multipart/form-data; boundary=b'), 135, { description: formOnly });
  });

  it('no content type, and no body at all', async () => {
    expectConcurError(await postRaw(t.url, validForm(), undefined), 135, { description: formOnly });
    expectConcurError(await send(t.url, '/oauth2/v0/token', { method: 'POST' }), 135, { description: formOnly });
  });

  it('credentials in the query string, even with a valid body', async () => {
    for (const name of ['client_secret', 'client_id', 'password', 'refresh_token', 'username', 'grant_type']) {
      const res = await send(t.url, `/oauth2/v0/token?${name}=x`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: validForm(),
      });
      expectConcurError(res, 135, { description: /query string/ });
    }
  });

  it('a parameter sent twice', async () => {
    for (const dup of ['client_id', 'grant_type', 'scope', 'client_secret']) {
      const body = `${validForm()}&scope=openid&${dup}=${dup === 'client_id' ? app.clientId : dup === 'scope' ? 'openid' : 'again'}`;
      expectConcurError(await postRaw(t.url, body, 'application/x-www-form-urlencoded'), 135, { description: new RegExp(dup) });
    }
  });

  it('HTTP Basic and a client_secret in the body together', async () => {
    const basic = Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64');
    const res = await postToken(t.url, { grant_type: 'client_credentials', client_secret: app.clientSecret }, { headers: { authorization: `Basic ${basic}` } });
    expectConcurError(res, 135, { description: 'client credentials were sent in more than one way' });
    const otherId = await postToken(t.url, { grant_type: 'client_credentials', client_id: randomUUID() }, { headers: { authorization: `Basic ${basic}` } });
    expectConcurError(otherId, 135, { description: /client_id differs/ });
  });

  it('a malformed Basic header is failed client authentication: invalid_client, 401 with WWW-Authenticate (not 62 or 135)', async () => {
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    const malformed = [
      'Basic', 'Basic ', 'basic !!!not-base64!!!', `Basic ${b64(app.clientId)}`, `Basic ${b64(`${app.clientId}:%zz`)}`,
      `Basic ${b64(`:${app.clientSecret}`)}`, `Basic ${b64(`${app.clientId}:`)}`, `Basic ${b64(app.clientId)} trailing`,
    ];
    for (const authorization of malformed) {
      for (const form of [{ grant_type: 'client_credentials' }, { grant_type: 'client_credentials', client_id: app.clientId }] as Record<string, string>[]) {
        const res = await postToken(t.url, form, { headers: { authorization } });
        expectConcurError(res, 64, { description: 'malformed Basic authorization' });
        expect(res.status, authorization).toBe(401);
        expect(res.body.error, authorization).toBe('invalid_client');
        expect(res.headers.get('www-authenticate'), authorization).toMatch(/^Basic realm="tessera"/);
      }
    }
    // Another scheme is not client authentication: the body's credentials count.
    const bearer = await postToken(t.url, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret }, { headers: { authorization: 'Bearer abc' } });
    expect(bearer.status).toBe(200);
  });

  it('the media type is matched case-insensitively and charset=utf-8 is accepted', async () => {
    for (const type of ['application/x-www-form-urlencoded; charset=utf-8', 'Application/X-WWW-Form-URLEncoded', 'application/x-www-form-urlencoded;charset=UTF-8']) {
      const res = await postRaw(t.url, validForm(), type);
      expect(res.status, type).toBe(200);
    }
  });
});

describe('413 and malformed input', () => {
  it('413: a body over bodyLimit', async () => {
    const body = `${new URLSearchParams({ grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret })}&pad=${'a'.repeat(bodyLimit)}`;
    const res = await postRaw(t.url, body, 'application/x-www-form-urlencoded');
    expectConcurError(res, 413);
    const json = await postRaw(t.url, `{"a":"${'a'.repeat(bodyLimit)}"}`, 'application/json');
    expectConcurError(json, 413);
  });

  it('garbage bytes, a huge field and bad percent-encoding never give a 500', async () => {
    const cases: Array<[string, string | Uint8Array, string | undefined]> = [
      ['random bytes as a form', randomBytes(2048), 'application/x-www-form-urlencoded'],
      ['random bytes, no type', randomBytes(512), undefined],
      ['random bytes as json', randomBytes(512), 'application/json'],
      ['invalid UTF-8', Buffer.from([0x67, 0x72, 0x61, 0x6e, 0x74, 0x5f, 0x74, 0x79, 0x70, 0x65, 0x3d, 0xff, 0xfe, 0xc3, 0x28]), 'application/x-www-form-urlencoded'],
      ['huge field', `grant_type=password&client_id=${app.clientId}&client_secret=${app.clientSecret}&username=${'u'.repeat(bodyLimit - 200)}&password=x`, 'application/x-www-form-urlencoded'],
      ['huge password', `grant_type=password&client_id=${app.clientId}&client_secret=${app.clientSecret}&username=a&password=${'p'.repeat(bodyLimit - 200)}`, 'application/x-www-form-urlencoded'],
      ['huge scope', `grant_type=client_credentials&client_id=${app.clientId}&client_secret=${app.clientSecret}&scope=${'s%20'.repeat(1000)}`, 'application/x-www-form-urlencoded'],
      ['bad escapes', `grant_type=%zz&client_id=%E0%A4%A&client_secret=%&%%%=%`, 'application/x-www-form-urlencoded'],
      ['bad escapes with a valid client', `grant_type=password&client_id=${app.clientId}&client_secret=${app.clientSecret}&username=%ff%fe&password=%c3%28`, 'application/x-www-form-urlencoded'],
      ['NUL bytes', `grant_type=client_credentials%00&client_id=${app.clientId}%00&client_secret=${app.clientSecret}`, 'application/x-www-form-urlencoded'],
      ['only separators', '&&&===&=&', 'application/x-www-form-urlencoded'],
      ['prototype keys', `__proto__=x&constructor=y&toString=z&grant_type=hasOwnProperty&client_id=${app.clientId}&client_secret=${app.clientSecret}`, 'application/x-www-form-urlencoded'],
      ['unknown charset', 'grant_type=client_credentials', 'application/x-www-form-urlencoded; charset=latin1'],
    ];
    for (const [name, body, type] of cases) {
      expectClientError(await postRaw(t.url, body, type), name);
    }
  });

  it('a bounded fuzz of the form never yields a 500 and always answers the Concur error body', async () => {
    const pick = <T,>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
    const junk = () => pick(['', ' ', '%', '%zz', '\u0000', 'é', '😀', '../', '<script>', "' OR 1=1 --", randomBytes(8).toString('hex'),
      'a'.repeat(300), '-1', 'null', '[]', '{}', 'true', randomUUID()]);
    const values: Record<string, () => string> = {
      grant_type: () => pick(['password', 'refresh_token', 'client_credentials', 'authorization_code', 'otp', junk()]),
      client_id: () => pick([app.clientId, randomUUID(), junk()]),
      client_secret: () => pick([app.clientSecret, randomUUID(), junk()]),
      credtype: () => pick(['password', 'authtoken', junk()]),
      username: () => pick([t.companyId, junk()]),
      password: () => junk(),
      refresh_token: () => pick([randomUUID(), junk()]),
      scope: () => pick(['openid', 'openid user.read', 'nope.read', junk()]),
      [junk()]: () => junk(),
    };
    const names = Object.keys(values);
    const requests = Array.from({ length: 150 }, () => {
      const parts: string[] = [];
      for (const name of names) {
        if (Math.random() < 0.6) parts.push(`${encodeURIComponent(name)}=${Math.random() < 0.9 ? encodeURIComponent(values[name]!()) : values[name]!()}`);
      }
      if (Math.random() < 0.1) parts.push(junk());
      const type = pick(['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded', 'application/x-www-form-urlencoded', 'text/plain', undefined]);
      return { body: parts.join(Math.random() < 0.95 ? '&' : ';'), type };
    });
    for (let i = 0; i < requests.length; i += 6) {
      const batch = requests.slice(i, i + 6);
      const answers = await Promise.all(batch.map(({ body, type }) => postRaw(t.url, body, type)));
      answers.forEach((res, n) => {
        const { body, type } = batch[n]!;
        if (res.status === 200) return; // a random form may be a valid client_credentials request
        expectClientError(res, `${type} ${body}`);
      });
    }
  });

  it('a raw HTTP request of garbage gets a 4xx, never a 500', async () => {
    const { connect } = await import('node:net');
    const port = new URL(t.url).port;
    const statuses: number[] = [];
    const replies: string[] = [];
    for (const payload of [randomBytes(300), Buffer.from('POST /oauth2/v0/token HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello'),
      Buffer.from(`POST /oauth2/v0/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`)]) {
      const reply = await new Promise<string>((resolve) => {
        const socket = connect(Number(port), '127.0.0.1');
        let data = '';
        socket.on('data', (chunk) => { data += chunk.toString('latin1'); });
        socket.on('error', () => resolve(data));
        socket.on('close', () => resolve(data));
        socket.write(payload);
        setTimeout(() => socket.end(), 200);
      });
      const status = Number(reply.match(/^HTTP\/1\.1 (\d{3})/)?.[1] ?? 0);
      statuses.push(status);
      replies.push(reply);
    }
    for (const status of statuses) {
      expect(status === 0 || (status >= 400 && status < 500)).toBe(true);
    }
    // What the HTTP parser itself rejects still answers in the Concur format, with a correlation id.
    expect(replies[1]).toMatch(/^HTTP\/1\.1 400 /);
    expect(replies[1]).toMatch(/\r\nconcur-correlationid: [0-9a-f-]{36}\r\n/i);
    expect(JSON.parse(replies[1]!.split('\r\n\r\n')[1]!)).toEqual({
      code: 135, error: 'invalid_request', error_description: 'malformed HTTP request',
    });
  });
});

describe('a refused request changes nothing', () => {
  it('refused conversions (wrong secret, unknown client, bad scope, bad credtype, disabled app) do not use up the request token', async () => {
    const fresh = await makeApp(t, { name: 'Untouched request token' });
    const { requestToken } = await makeRequestToken(t, fresh.clientId);
    const good = authtokenForm(fresh.clientId, fresh.clientSecret, t.companyId, requestToken);
    for (let i = 0; i < 3; i++) {
      expectConcurError(await postToken(t.url, { ...good, client_secret: randomUUID() }), 64);
      expectConcurError(await postToken(t.url, { ...good, client_id: randomUUID() }), 61);
      expectConcurError(await postToken(t.url, { ...good, scope: 'receipts.read' }), 54);
      expectConcurError(await postToken(t.url, { ...good, credtype: 'otp' }), 120);
      expectConcurError(await postToken(t.url, { ...good, grant_type: '' }), 65);
    }
    await updateApp(t.server.core, fresh.app, { enabled: false });
    expectConcurError(await postToken(t.url, good), 59);
    await updateApp(t.server.core, { ...fresh.app, enabled: false }, { enabled: true });

    for (let i = 0; i < t.server.core.settings.requestTokenMaxUses; i++) {
      expect((await postToken(t.url, good)).status).toBe(200);
    }
    expectConcurError(await postToken(t.url, good), 136);
  });

  it('a 54 or a 64 on refresh neither slides the expiry nor touches the connection', async () => {
    const fresh = await makeApp(t, { name: 'No slide' });
    const converted = await convertRequestToken(t, fresh.clientId, fresh.clientSecret);
    const [before] = await t.server.core.store.connections.listByApp(fresh.clientId);
    clock.advance(3 * DAY);
    expectConcurError(await postToken(t.url, refreshForm(fresh.clientId, fresh.clientSecret, converted.body.refresh_token, { scope: 'receipts.read' })), 54);
    expectConcurError(await postToken(t.url, refreshForm(fresh.clientId, randomUUID(), converted.body.refresh_token)), 64);
    const [after] = await t.server.core.store.connections.listByApp(fresh.clientId);
    expect(after).toEqual(before);

    const ok = await postToken(t.url, refreshForm(fresh.clientId, fresh.clientSecret, converted.body.refresh_token));
    expect(ok.status).toBe(200);
    expect(ok.body.refresh_token).toBe(converted.body.refresh_token);
    expect(ok.body.refresh_expires_in).toBe(converted.body.refresh_expires_in + 3 * 24 * 3600);
  });

  it('failed logins through a wrong client secret do not count toward the user\'s lockout', async () => {
    const user = await freshUser();
    for (let i = 0; i < maxFailedLogins + 2; i++) {
      expectConcurError(await postToken(t.url, passwordForm(app.clientId, randomUUID(), user.loginId, 'wrong')), 64);
    }
    const stored = await t.server.core.store.users.get(user.id);
    expect(stored).toMatchObject({ failedLogins: 0, status: 'active' });
    expect((await postToken(t.url, passwordForm(app.clientId, app.clientSecret, user.loginId, password))).status).toBe(200);
  });

  it('a 53 conversion does not create a connection', async () => {
    const fresh = await makeApp(t, { name: 'No connection on 53' });
    const { requestToken } = await makeRequestToken(t, fresh.clientId);
    await t.server.core.store.apps.setCompanyGrant(fresh.clientId, t.companyId, false, clock.now());
    expectConcurError(await postToken(t.url, authtokenForm(fresh.clientId, fresh.clientSecret, t.companyId, requestToken)), 53);
    expect(await t.server.core.store.connections.listByApp(fresh.clientId)).toEqual([]);
  });
});
