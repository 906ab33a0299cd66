/**
 * `GET /oauth2/v0/authorize`, its sign-in and consent pages, `grant_type=authorization_code` with
 * PKCE, and "My connected apps" (docs/protocol.md §4, Decisions 4, 12–14), over real HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompany, enableAppForCompany, ManualClock, operatorActor, resetUserPassword, sweep, updateApp } from 'tessera-server';
import { AdminClient, makeAdmin } from './admin-helpers.js';
import { formAction, hiddenFields, PageBrowser, paramsOf, pkcePair } from './authorize-helpers.js';
import { convertRequestToken, makeApp, makeUser, postToken, startTestServer, type TestServer } from './helpers.js';

const redirectUri = 'https://app.example/callback';
const password = 'correct horse battery staple';

let t: TestServer;
let clock: ManualClock;
let confidential: Awaited<ReturnType<typeof makeApp>>;
let publicApp: Awaited<ReturnType<typeof makeApp>>;

beforeAll(async () => {
  clock = new ManualClock(Date.now());
  t = await startTestServer({ clock, settings: { maxFailedLogins: 3 } });
  const grants = ['authorization_code', 'refresh_token', 'password'];
  confidential = await makeApp(t, { name: 'Expense Sync', grants, redirectUris: [redirectUri, 'http://127.0.0.1:8123/cb'] });
  publicApp = await makeApp(t, { name: 'Pocket Receipts', grants, redirectUris: [redirectUri], clientType: 'public' });
});
afterAll(async () => {
  await t?.close();
});

let users = 0;
async function aUser(companyId = t.companyId) {
  const loginId = `user${++users}-${Date.now()}@test.example`;
  const user = await makeUser(t, loginId, password, companyId);
  return { loginId, user };
}

function authorizePath(clientId: string, extra: Record<string, string> = {}) {
  return `/oauth2/v0/authorize?${new URLSearchParams({
    client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid user.read', state: 'xyz-state', nonce: 'n-123',
    ...extra,
  })}`;
}

/** Runs sign-in (when asked) and consent (when shown) with `decision`; answers the final redirect. */
async function authorize(browser: PageBrowser, loginId: string | undefined, path: string, decision: 'allow' | 'deny' = 'allow') {
  let answer = await browser.get(path);
  if (answer.status === 200 && answer.text.includes('name="login_id"')) {
    answer = await browser.post(formAction(answer.text)!, { ...hiddenFields(answer.text), login_id: loginId!, password });
  }
  if (answer.status === 200 && answer.text.includes('value="allow"')) {
    answer = await browser.post(formAction(answer.text)!, { ...hiddenFields(answer.text), decision });
  }
  return answer;
}

async function codeFor(clientId: string, extra: Record<string, string> = {}) {
  const browser = new PageBrowser(t.url);
  const { loginId, user } = await aUser();
  const answer = await authorize(browser, loginId, authorizePath(clientId, extra));
  expect(answer.status).toBe(303);
  return { code: paramsOf(answer.location).code!, browser, user, loginId };
}

const exchange = (clientId: string, secret: string | undefined, code: string, extra: Record<string, string> = {}) => postToken(t.url, {
  grant_type: 'authorization_code', client_id: clientId, ...(secret ? { client_secret: secret } : {}), code, redirect_uri: redirectUri, ...extra,
});

function decodeJwt(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('the authorization request', () => {
  it('shows an error page, never a redirect, for an unknown client or a redirect URI that is not registered exactly', async () => {
    const browser = new PageBrowser(t.url);
    for (const path of [
      authorizePath(confidential.clientId, { redirect_uri: 'https://evil.example/callback' }),
      authorizePath(confidential.clientId, { redirect_uri: `${redirectUri}/` }),
      authorizePath(confidential.clientId, { redirect_uri: `${redirectUri}?x=1` }),
      authorizePath('00000000-0000-4000-8000-000000000000'),
      authorizePath('not-a-uuid'),
      `/oauth2/v0/authorize?client_id=${confidential.clientId}&response_type=code`,
    ]) {
      const answer = await browser.get(path);
      expect(answer.status, path).toBe(400);
      expect(answer.location, path).toBeUndefined();
      expect(answer.headers.get('content-type')).toContain('text/html');
      expect(answer.text).not.toContain('evil.example');
    }
  });

  it('lets a loopback redirect URI come on any port, nothing else varying (RFC 8252 §7.3)', async () => {
    const { loginId } = await aUser();
    const browser = new PageBrowser(t.url);
    const onPort = 'http://127.0.0.1:54321/cb';
    const answer = await authorize(browser, loginId, authorizePath(confidential.clientId, { redirect_uri: onPort }));
    expect(answer.status).toBe(303);
    expect(answer.location!.startsWith(`${onPort}?`)).toBe(true);
    const code = paramsOf(answer.location).code!;
    const token = (uri: string) => postToken(t.url, {
      grant_type: 'authorization_code', client_id: confidential.clientId, client_secret: confidential.clientSecret, code, redirect_uri: uri,
    });
    // The code stays bound to the port the request used.
    expect((await token('http://127.0.0.1:8123/cb')).body.code).toBe(104);
    expect((await token(onPort)).status).toBe(200);
    for (const uri of ['http://127.0.0.1:54321/cb/', 'http://127.0.0.1:54321/cb?x=1', 'http://localhost:54321/cb', 'https://127.0.0.1:54321/cb',
      'http://127.0.0.2:54321/cb', 'http://127.0.0.1.evil.example:54321/cb', 'http://127.0.0.1:54321/CB', 'https://app.example:8443/callback']) {
      const refused = await browser.get(authorizePath(confidential.clientId, { redirect_uri: uri }));
      expect(refused.status, uri).toBe(400);
      expect(refused.location, uri).toBeUndefined();
    }
  });

  it('redirects the other errors back with Concur’s error_code and error_description, and the state', async () => {
    const browser = new PageBrowser(t.url);
    const cases: [Record<string, string>, string][] = [
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ scope: 'openid user.read expense.report.read' }, '54'],
      [{ nonce: '' }, '117'],
      [{ display: 'fullscreen' }, '118'],
      [{ prompt: 'select_account' }, '119'],
      [{ code_challenge: pkcePair().challenge, code_challenge_method: 'plain' }, 'invalid_request'],
      [{ code_challenge: 'short', code_challenge_method: 'S256' }, 'invalid_request'],
    ];
    for (const [extra, code] of cases) {
      const answer = await browser.get(authorizePath(confidential.clientId, extra));
      expect(answer.status, JSON.stringify(extra)).toBe(302);
      const params = paramsOf(answer.location);
      expect(answer.location!.startsWith(`${redirectUri}?`)).toBe(true);
      expect(params.error_code, JSON.stringify(extra)).toBe(code);
      expect(params.error_description).toBeTruthy();
      expect(params.state).toBe('xyz-state');
      expect(params.code).toBeUndefined();
    }
  });

  it('needs the nonce only when openid is requested (Decision 13)', async () => {
    const answer = await new PageBrowser(t.url).get(authorizePath(confidential.clientId, { scope: 'user.read', nonce: '' }));
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('Sign in');
  });

  it('answers 60 for an app not allowed the authorization_code grant, and empty error fields for a disabled app', async () => {
    const noCode = await makeApp(t, { grants: ['password'], redirectUris: [redirectUri] });
    const refused = await new PageBrowser(t.url).get(authorizePath(noCode.clientId));
    expect(paramsOf(refused.location).error_code).toBe('60');
    const disabled = await makeApp(t, { grants: ['authorization_code'], redirectUris: [redirectUri], enabled: false });
    const answer = await new PageBrowser(t.url).get(authorizePath(disabled.clientId));
    expect(answer.status).toBe(302);
    expect(answer.location).toBe(`${redirectUri}?error_code=&error_description=&state=xyz-state`);
  });

  it('requires PKCE of a public app', async () => {
    const answer = await new PageBrowser(t.url).get(authorizePath(publicApp.clientId));
    expect(answer.status).toBe(302);
    expect(paramsOf(answer.location)).toMatchObject({ error_code: 'invalid_request', state: 'xyz-state' });
  });

  it('serves its pages unframeable, uncached, without any script, to a form target of the app only', async () => {
    const browser = new PageBrowser(t.url);
    const signIn = await browser.get(authorizePath(confidential.clientId));
    const errorPage = await browser.get(authorizePath('not-a-uuid'));
    const account = await browser.get('/account/connected-apps');
    for (const answer of [signIn, errorPage, account]) {
      const csp = answer.headers.get('content-security-policy')!;
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("default-src 'none'");
      expect(csp).not.toContain('script-src');
      expect(answer.headers.get('x-frame-options')).toBe('DENY');
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expect(answer.headers.get('concur-correlationid')).toBeTruthy();
      expect(answer.text).not.toContain('<script');
    }
    expect(signIn.headers.get('content-security-policy')).toContain("form-action 'self' https://app.example;");
    expect(signIn.text).toMatch(/<label for="login-id">Login ID<\/label>/);
    expect(signIn.text).toMatch(/<label for="password">Password<\/label>/);
    const cookies = signIn.headers.getSetCookie().join('\n');
    expect(cookies).toMatch(/tessera_user_sign_in=[^;]+; Path=\/oauth2\/v0\/authorize; HttpOnly; SameSite=Strict/);
  });
});

describe('sign-in and consent', () => {
  it('issues a code after sign-in and consent; the code gives a user token whose id token carries the nonce', async () => {
    const browser = new PageBrowser(t.url);
    const { loginId, user } = await aUser();
    const signIn = await browser.get(authorizePath(confidential.clientId));
    const consent = await browser.post(formAction(signIn.text)!, { ...hiddenFields(signIn.text), login_id: loginId, password });
    expect(consent.status).toBe(200);
    expect(consent.text).toContain('Expense Sync');
    expect(consent.text).toContain('Test Company');
    expect(consent.text).toContain('Read your user profile');
    const session = browser.cookie('tessera_user');
    expect(session.map((c) => c.path).sort()).toEqual(['/account', '/oauth2/v0/authorize']);
    const sessionCookie = consent.headers.getSetCookie().find((c) => c.startsWith('tessera_user='))!;
    expect(sessionCookie).toContain('HttpOnly');
    expect(sessionCookie).toContain('SameSite=Lax');
    const done = await browser.post(formAction(consent.text)!, { ...hiddenFields(consent.text), decision: 'allow' });
    expect(done.status).toBe(303);
    const params = paramsOf(done.location);
    expect(Object.keys(params)).toEqual(['code', 'state', 'geolocation']);
    expect(params.state).toBe('xyz-state');
    expect(params.geolocation).toBe(t.url);

    const token = await exchange(confidential.clientId, confidential.clientSecret, params.code!);
    expect(token.status).toBe(200);
    expect(token.body.refresh_token).toBeTruthy();
    expect(token.body.scope).toBe('openid user.read');
    expect(decodeJwt(token.body.access_token)).toMatchObject({ sub: user.id, 'concur.type': 'user' });
    expect(decodeJwt(token.body.id_token)).toMatchObject({ sub: user.id, nonce: 'n-123', aud: confidential.clientId });
    // The refresh token is the usual one of a user connection.
    const refreshed = await postToken(t.url, {
      grant_type: 'refresh_token', client_id: confidential.clientId, client_secret: confidential.clientSecret, refresh_token: token.body.refresh_token,
    });
    expect(refreshed.status).toBe(200);
  });

  it('redirects user_denied on Deny', async () => {
    const browser = new PageBrowser(t.url);
    const { loginId } = await aUser();
    const answer = await authorize(browser, loginId, authorizePath(confidential.clientId), 'deny');
    expect(answer.status).toBe(303);
    const params = paramsOf(answer.location);
    expect(params).toMatchObject({ error_code: 'user_denied', state: 'xyz-state' });
    expect(params.error_description).toBeTruthy();
    expect(params.code).toBeUndefined();
  });

  it('remembers consent per user, app and scope set: a wider set or prompt=consent asks again', async () => {
    const browser = new PageBrowser(t.url);
    const { loginId } = await aUser();
    expect((await authorize(browser, loginId, authorizePath(confidential.clientId))).status).toBe(303);
    const again = await browser.get(authorizePath(confidential.clientId));
    expect(again.status).toBe(302);
    expect(paramsOf(again.location).code).toBeTruthy();
    const narrower = await browser.get(authorizePath(confidential.clientId, { scope: 'user.read' }));
    expect(narrower.status).toBe(302);
    const wider = await browser.get(authorizePath(confidential.clientId, { scope: 'openid user.read company.read' }));
    expect(wider.status).toBe(200);
    expect(wider.text).toContain('value="allow"');
    const forced = await browser.get(authorizePath(confidential.clientId, { prompt: 'consent' }));
    expect(forced.status).toBe(200);
    expect(forced.text).toContain('value="allow"');
    const none = await browser.get(authorizePath(confidential.clientId, { scope: 'openid user.read company.read', prompt: 'none' }));
    expect(paramsOf(none.location).error_code).toBe('consent_required');
    const signedOut = await new PageBrowser(t.url).get(authorizePath(confidential.clientId, { prompt: 'none' }));
    expect(paramsOf(signedOut.location).error_code).toBe('login_required');
  });

  it('ends the user session when idle too long, at a new sign-in (prompt=login), and when the password is reset', async () => {
    const browser = new PageBrowser(t.url);
    const { loginId, user } = await aUser();
    expect((await authorize(browser, loginId, authorizePath(confidential.clientId))).status).toBe(303);
    const first = browser.cookie('tessera_user')[0]!.value;
    // prompt=login asks for the password again, and the new sign-in replaces the session.
    const relogin = await authorize(browser, loginId, authorizePath(confidential.clientId, { prompt: 'login' }));
    expect(relogin.status).toBe(303);
    expect(browser.cookie('tessera_user')[0]!.value).not.toBe(first);
    const stale = new PageBrowser(t.url);
    stale.setCookie('tessera_user', first, '/oauth2/v0/authorize');
    expect((await stale.get(authorizePath(confidential.clientId))).text).toContain('name="login_id"');
    // Idle past TESSERA_SESSION_IDLE_SECONDS (30 minutes by default).
    clock.advance(31 * 60 * 1000);
    try {
      expect((await browser.get(authorizePath(confidential.clientId))).text).toContain('name="login_id"');
    } finally {
      clock.advance(-31 * 60 * 1000);
    }
    expect(paramsOf((await authorize(browser, loginId, authorizePath(confidential.clientId))).location).code).toBeTruthy();
    expect(browser.cookie('tessera_user')).toHaveLength(2);
    await resetUserPassword(t.server.core, user, 'a brand new password', operatorActor);
    expect((await browser.get(authorizePath(confidential.clientId))).text).toContain('name="login_id"');
  });

  it('refuses a sign-in or consent POST without its CSRF token, and a pending request that was tampered with', async () => {
    const browser = new PageBrowser(t.url);
    const { loginId } = await aUser();
    const signIn = await browser.get(authorizePath(confidential.clientId));
    const fields = hiddenFields(signIn.text);
    const noCsrf = await browser.post('/oauth2/v0/authorize/sign-in', { request: fields.request!, login_id: loginId, password });
    expect(noCsrf.status).toBe(403);
    const otherBrowser = new PageBrowser(t.url);
    const foreignCookie = await otherBrowser.post('/oauth2/v0/authorize/sign-in', { ...fields, login_id: loginId, password });
    expect(foreignCookie.status).toBe(403);
    const tampered = await browser.post('/oauth2/v0/authorize/sign-in', { ...fields, request: `${fields.request!.slice(0, -2)}AA`, login_id: loginId, password });
    expect(tampered.status).toBe(400);
    expect(browser.cookie('tessera_user')).toEqual([]);

    const consent = await browser.post('/oauth2/v0/authorize/sign-in', { ...fields, login_id: loginId, password });
    expect(consent.text).toContain('value="allow"');
    const consentFields = hiddenFields(consent.text);
    const missing = await browser.post('/oauth2/v0/authorize/consent', { request: consentFields.request!, decision: 'allow' });
    expect(missing.status).toBe(403);
    expect(missing.location).toBeUndefined();
    const wrong = await browser.post('/oauth2/v0/authorize/consent', { ...consentFields, csrf_token: fields.csrf_token!, decision: 'allow' });
    expect(wrong.status).toBe(403);
  });

  it('shares the password grant’s lockout: failed sign-ins on the page lock the login id for the token endpoint', async () => {
    const browser = new PageBrowser(t.url);
    const { loginId } = await aUser();
    for (let i = 0; i < 3; i++) {
      const page = await browser.get(authorizePath(confidential.clientId));
      const answer = await browser.post(formAction(page.text)!, { ...hiddenFields(page.text), login_id: loginId, password: 'wrong password' });
      expect(answer.status).toBe(400);
      expect(answer.text).toMatch(/Wrong login ID or password|locked/);
    }
    const grant = await postToken(t.url, {
      grant_type: 'password', client_id: confidential.clientId, client_secret: confidential.clientSecret, username: loginId, password,
    });
    expect(grant.status).toBe(400);
    expect(grant.body.code).toBe(14);
    const page = await browser.get(authorizePath(confidential.clientId));
    const locked = await browser.post(formAction(page.text)!, { ...hiddenFields(page.text), login_id: loginId, password });
    expect(locked.text).toContain('locked');
    expect(browser.cookie('tessera_user')).toEqual([]);
  });

  it('answers a user of a company that has not enabled the app as a wrong login id', async () => {
    const other = await createCompany(t.server.core, { name: 'Other Company' });
    const { loginId } = await aUser(other.id);
    const browser = new PageBrowser(t.url);
    const page = await browser.get(authorizePath(confidential.clientId));
    const answer = await browser.post(formAction(page.text)!, { ...hiddenFields(page.text), login_id: loginId, password });
    expect(answer.status).toBe(400);
    expect(answer.text).toContain('Wrong login ID or password');
    await enableAppForCompany(t.server.core, confidential.clientId, other.id);
    const enabled = await authorize(new PageBrowser(t.url), loginId, authorizePath(confidential.clientId));
    expect(paramsOf(enabled.location).code).toBeTruthy();
  });
  it('does not carry a signed-in user of another company into an app their company has not enabled', async () => {
    const other = await createCompany(t.server.core, { name: 'Third Company' });
    const { loginId } = await aUser(other.id);
    const browser = new PageBrowser(t.url);
    const page = await browser.get('/account/connected-apps');
    expect((await browser.post('/account/sign-in', { ...hiddenFields(page.text), login_id: loginId, password })).status).toBe(303);
    expect(browser.cookie('tessera_user')).toHaveLength(2);
    const answer = await browser.get(authorizePath(confidential.clientId));
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('name="login_id"');
    expect(answer.text).not.toContain('value="allow"');
  });
});

describe('grant_type=authorization_code', () => {
  it('asks for code (101) and redirect_uri (102)', async () => {
    const base = { grant_type: 'authorization_code', client_id: confidential.clientId, client_secret: confidential.clientSecret };
    expect((await postToken(t.url, { ...base, redirect_uri: redirectUri })).body.code).toBe(101);
    expect((await postToken(t.url, { ...base, code: 'x' })).body.code).toBe(102);
    expect((await postToken(t.url, { ...base, code: 'no-such-code', redirect_uri: redirectUri })).body.code).toBe(103);
  });

  it('refuses a second use of a code (103) and revokes the connection the first use made', async () => {
    const { code } = await codeFor(confidential.clientId);
    const first = await exchange(confidential.clientId, confidential.clientSecret, code);
    expect(first.status).toBe(200);
    const second = await exchange(confidential.clientId, confidential.clientSecret, code);
    expect(second.status).toBe(400);
    expect(second.body.code).toBe(103);
    const refresh = await postToken(t.url, {
      grant_type: 'refresh_token', client_id: confidential.clientId, client_secret: confidential.clientSecret, refresh_token: first.body.refresh_token,
    });
    expect(refresh.body.code).toBe(108);
  });

  it('revokes the connection also for a replay after the code expired', async () => {
    const { code } = await codeFor(confidential.clientId);
    const first = await exchange(confidential.clientId, confidential.clientSecret, code);
    clock.advance(11 * 60 * 1000);
    try {
      expect((await exchange(confidential.clientId, confidential.clientSecret, code)).body.code).toBe(103);
    } finally {
      clock.advance(-11 * 60 * 1000);
    }
    const refresh = await postToken(t.url, {
      grant_type: 'refresh_token', client_id: confidential.clientId, client_secret: confidential.clientSecret, refresh_token: first.body.refresh_token,
    });
    expect(refresh.body.code).toBe(108);
  });

  it('revokes the connection for a replay after the sweeper ran: a used code outlives its 10 minutes by a day', async () => {
    const { code } = await codeFor(confidential.clientId);
    const first = await exchange(confidential.clientId, confidential.clientSecret, code);
    const later = 2 * 60 * 60 * 1000;
    clock.advance(later);
    try {
      await sweep(t.server.core);
      expect((await exchange(confidential.clientId, confidential.clientSecret, code)).body.code).toBe(103);
    } finally {
      clock.advance(-later);
    }
    const refresh = await postToken(t.url, {
      grant_type: 'refresh_token', client_id: confidential.clientId, client_secret: confidential.clientSecret, refresh_token: first.body.refresh_token,
    });
    expect(refresh.body.code).toBe(108);
  });

  // The exchanges are held at the code lookup until all have read the unused code, so they reach the
  // atomic use together on either store. Of them exactly one uses the code and opens a connection;
  // the others are replays, and because they land before that connection is linked to the code,
  // the winner revokes it before answering: no exchange gets tokens.
  it('lets exactly one of concurrent exchanges use a code, and no connection made with it survives', async () => {
    const { code, user } = await codeFor(confidential.clientId);
    const repository = t.server.core.store.authorizations;
    const getCode = repository.getCode;
    const waiting: (() => void)[] = [];
    repository.getCode = async (digest: string) => {
      const found = await getCode.call(repository, digest);
      await new Promise<void>((resolve) => {
        waiting.push(resolve);
        if (waiting.length === 6) for (const go of waiting) go();
      });
      return found;
    };
    let answers;
    try {
      answers = await Promise.all(Array.from({ length: 6 }, () => exchange(confidential.clientId, confidential.clientSecret, code)));
    } finally {
      repository.getCode = getCode;
    }
    expect(answers.map((a) => a.body.code)).toEqual([103, 103, 103, 103, 103, 103]);
    const connections = (await t.server.core.store.connections.listByApp(confidential.clientId)).filter((c) => c.principalId === user.id);
    expect(connections).toHaveLength(1);
    expect(connections[0]!.revokedAt).not.toBeNull();
  });

  it('refuses a code of another app (105) and another redirect_uri (104), leaving the code usable', async () => {
    const { code } = await codeFor(confidential.clientId);
    const other = await makeApp(t, { grants: ['authorization_code'], redirectUris: [redirectUri] });
    expect((await exchange(other.clientId, other.clientSecret, code)).body.code).toBe(105);
    expect((await exchange(confidential.clientId, confidential.clientSecret, code, { redirect_uri: 'http://127.0.0.1:8123/cb' })).body.code).toBe(104);
    expect((await exchange(confidential.clientId, confidential.clientSecret, code)).status).toBe(200);
  });

  it('refuses a code after its 10 minutes (103)', async () => {
    const { code } = await codeFor(confidential.clientId);
    clock.advance(10 * 60 * 1000);
    try {
      const answer = await exchange(confidential.clientId, confidential.clientSecret, code);
      expect(answer.body.code).toBe(103);
    } finally {
      clock.advance(-10 * 60 * 1000);
    }
    const fresh = await codeFor(confidential.clientId);
    clock.advance(10 * 60 * 1000 - 1000);
    try {
      expect((await exchange(confidential.clientId, confidential.clientSecret, fresh.code)).status).toBe(200);
    } finally {
      clock.advance(-(10 * 60 * 1000 - 1000));
    }
  });

  it('checks the PKCE verifier: missing, wrong, or sent for a code without challenge are refused (103)', async () => {
    const pkce = pkcePair();
    const { code } = await codeFor(confidential.clientId, { code_challenge: pkce.challenge, code_challenge_method: 'S256' });
    expect((await exchange(confidential.clientId, confidential.clientSecret, code)).body.code).toBe(103);
    expect((await exchange(confidential.clientId, confidential.clientSecret, code, { code_verifier: pkcePair().verifier })).body.code).toBe(103);
    expect((await exchange(confidential.clientId, confidential.clientSecret, code, { code_verifier: pkce.verifier })).status).toBe(200);
    const plain = await codeFor(confidential.clientId);
    expect((await exchange(confidential.clientId, confidential.clientSecret, plain.code, { code_verifier: pkce.verifier })).body.code).toBe(103);
  });

  it('lets a public app redeem and refresh with its client id alone; a confidential app still needs its secret (63)', async () => {
    const pkce = pkcePair();
    const { code } = await codeFor(publicApp.clientId, { code_challenge: pkce.challenge, code_challenge_method: 'S256' });
    const token = await exchange(publicApp.clientId, undefined, code, { code_verifier: pkce.verifier });
    expect(token.status).toBe(200);
    const refreshed = await postToken(t.url, { grant_type: 'refresh_token', client_id: publicApp.clientId, refresh_token: token.body.refresh_token });
    expect(refreshed.status).toBe(200);
    // Only the code and refresh grants: a public app's password grant still needs the secret.
    expect((await postToken(t.url, { grant_type: 'password', client_id: publicApp.clientId, username: 'x', password: 'y' })).body.code).toBe(63);
    const conf = await codeFor(confidential.clientId);
    expect((await exchange(confidential.clientId, undefined, conf.code)).body.code).toBe(63);
    expect((await exchange(confidential.clientId, confidential.clientSecret, conf.code)).status).toBe(200);
  });

  it('rotates a public app’s refresh token on every refresh; a stolen value replayed after the grace window revokes the connection', async () => {
    const pkce = pkcePair();
    const { code } = await codeFor(publicApp.clientId, { code_challenge: pkce.challenge, code_challenge_method: 'S256' });
    const token = await exchange(publicApp.clientId, undefined, code, { code_verifier: pkce.verifier });
    const refresh = (value: string) => postToken(t.url, { grant_type: 'refresh_token', client_id: publicApp.clientId, refresh_token: value });
    const first = await refresh(token.body.refresh_token);
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).not.toBe(token.body.refresh_token);
    const second = await refresh(first.body.refresh_token);
    expect(second.status).toBe(200);
    clock.advance((t.server.core.settings.rotationGraceSeconds + 1) * 1000);
    // A thief's copy of the first value, after the app moved on: the whole family ends.
    expect((await refresh(token.body.refresh_token)).body.code).toBe(108);
    expect((await refresh(second.body.refresh_token)).body.code).toBe(108);
    // A confidential app keeps Concur's sliding value (rotation off by default).
    const conf = await codeFor(confidential.clientId);
    const confToken = await exchange(confidential.clientId, confidential.clientSecret, conf.code);
    const slid = await postToken(t.url, {
      grant_type: 'refresh_token', client_id: confidential.clientId, client_secret: confidential.clientSecret, refresh_token: confToken.body.refresh_token,
    });
    expect(slid.body.refresh_token).toBe(confToken.body.refresh_token);
  });

  it('refreshes a company connection only with the secret, even for an app that is (or became) public (63)', async () => {
    const app = await makeApp(t, { grants: ['password', 'refresh_token'] });
    const company = await convertRequestToken(t, app.clientId, app.clientSecret);
    expect(company.status).toBe(200);
    await updateApp(t.server.core, app.app, { clientType: 'public' });
    const form = { grant_type: 'refresh_token', client_id: app.clientId, refresh_token: company.body.refresh_token };
    const secretless = await postToken(t.url, form);
    expect(secretless.status).toBe(400);
    expect(secretless.body.code).toBe(63);
    expect((await postToken(t.url, { ...form, client_secret: app.clientSecret })).status).toBe(200);
  });

  it('refuses a public app’s code without its verifier even when the app became public later', async () => {
    const app = await makeApp(t, { grants: ['authorization_code'], redirectUris: [redirectUri] });
    const { code } = await codeFor(app.clientId);
    await updateApp(t.server.core, app.app, { clientType: 'public' });
    // The code was issued without a challenge: with the client id alone it is a public request with no PKCE.
    const answer = await exchange(app.clientId, undefined, code);
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe(103);
  });
});

describe('session kinds', () => {
  it('never lets a user session cookie act as an admin console session, whatever prefix it is sent with', async () => {
    const loginId = `kinds-admin-${Date.now()}@test.example`;
    await makeAdmin(t, loginId, t.companyId, password);
    const browser = new PageBrowser(t.url);
    const form = await browser.get('/account/connected-apps');
    expect((await browser.post(formAction(form.text)!, { ...hiddenFields(form.text), login_id: loginId, password })).status).toBe(303);
    const userSession = browser.cookie('tessera_user')[0]!.value;
    // The user session is stored as the digest of `user-session:<id>`: sent as an admin cookie it must not resume.
    for (const value of [`user-session:${userSession}`, userSession]) {
      const answer = await fetch(new URL('/admin/api/apps', t.url), { headers: { cookie: `tessera_admin=${value}` } });
      expect(answer.status).toBe(401);
    }
  });
});

describe('connected apps', () => {
  it('lists the user’s consents and withdraws one, revoking the user’s connections of that app', async () => {
    const { code, browser } = await codeFor(confidential.clientId);
    const token = await exchange(confidential.clientId, confidential.clientSecret, code);
    const page = await browser.get('/account/connected-apps');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Expense Sync');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const fields = hiddenFields(page.text);
    // Without the CSRF token nothing changes.
    expect((await browser.post('/account/connected-apps/withdraw', { app_id: confidential.clientId })).status).toBe(403);
    const withdrawn = await browser.post('/account/connected-apps/withdraw', { ...fields });
    expect(withdrawn.status).toBe(303);
    expect((await browser.get('/account/connected-apps')).text).toContain('No app is connected');
    const refresh = await postToken(t.url, {
      grant_type: 'refresh_token', client_id: confidential.clientId, client_secret: confidential.clientSecret, refresh_token: token.body.refresh_token,
    });
    expect(refresh.body.code).toBe(108);
    // Consent is gone: the next authorization asks again.
    expect((await browser.get(authorizePath(confidential.clientId))).text).toContain('value="allow"');
  });

  it('refuses a code issued before the user withdrew the app (103): withdrawing ends what is in flight too', async () => {
    const { code, browser, user } = await codeFor(confidential.clientId);
    const page = await browser.get('/account/connected-apps');
    expect((await browser.post('/account/connected-apps/withdraw', { ...hiddenFields(page.text) })).status).toBe(303);
    const answer = await exchange(confidential.clientId, confidential.clientSecret, code);
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe(103);
    expect((await t.server.core.store.connections.page({
      appId: confidential.clientId, companyId: t.companyId, status: 'active', now: clock.now(), offset: 0, limit: 500,
    })).items.some((c) => c.principalId === user.id)).toBe(false);
  });

  it('keeps users apart: a user sees and withdraws only their own consents', async () => {
    const alice = await codeFor(confidential.clientId);
    const bob = await codeFor(confidential.clientId);
    const bobToken = await exchange(confidential.clientId, confidential.clientSecret, bob.code);
    const alicePage = await alice.browser.get('/account/connected-apps');
    expect(alicePage.text).not.toContain(bob.loginId);
    // Alice withdrawing the app ends only her connections.
    await alice.browser.post('/account/connected-apps/withdraw', hiddenFields(alicePage.text));
    const refresh = await postToken(t.url, {
      grant_type: 'refresh_token', client_id: confidential.clientId, client_secret: confidential.clientSecret, refresh_token: bobToken.body.refresh_token,
    });
    expect(refresh.status).toBe(200);
    expect((await bob.browser.get('/account/connected-apps')).text).toContain('Expense Sync');
  });

  it('signs a user in on the account page with the same password checks', async () => {
    const { loginId } = await aUser();
    const browser = new PageBrowser(t.url);
    const page = await browser.get('/account/connected-apps');
    expect(page.text).toContain('name="login_id"');
    expect((await browser.post('/account/sign-in', { login_id: loginId, password })).status).toBe(403);
    const wrong = await browser.post('/account/sign-in', { ...hiddenFields(page.text), login_id: loginId, password: 'nope nope' });
    expect(wrong.status).toBe(400);
    const again = await browser.get('/account/connected-apps');
    const ok = await browser.post('/account/sign-in', { ...hiddenFields(again.text), login_id: loginId, password });
    expect(ok.status).toBe(303);
    expect((await browser.get('/account/connected-apps')).text).toContain('My connected apps');
  });

  it('never lets a user session act as an admin session', async () => {
    const admin = await makeAdmin(t, `admin-${Date.now()}@test.example`, t.companyId, password);
    const browser = new PageBrowser(t.url);
    expect((await authorize(browser, admin.loginId, authorizePath(confidential.clientId))).status).toBe(303);
    const session = browser.cookie('tessera_user')[0]!.value;
    const client = new AdminClient(t.url);
    client.setCookie('tessera_admin', session);
    expect((await client.get('/apps')).status).toBe(401);
  });

  it('shows user connections on the app’s Connections page of its company only, where revoking works', async () => {
    const { code, user } = await codeFor(confidential.clientId);
    const token = await exchange(confidential.clientId, confidential.clientSecret, code);
    const admin = await makeAdmin(t, `owner-${Date.now()}@test.example`);
    const client = new AdminClient(t.url);
    expect((await client.signIn(admin.loginId)).status).toBe(200);
    const list = await client.get(`/apps/${confidential.clientId}/connections?limit=100`);
    const mine = list.body.items.find((c: { principalId: string }) => c.principalId === user.id);
    expect(mine).toMatchObject({ principalType: 'user' });
    expect((await client.delete(`/apps/${confidential.clientId}/connections/${mine.connectionId ?? mine.id}`)).status).toBeLessThan(300);
    const refresh = await postToken(t.url, {
      grant_type: 'refresh_token', client_id: confidential.clientId, client_secret: confidential.clientSecret, refresh_token: token.body.refresh_token,
    });
    expect(refresh.body.code).toBe(108);
    // The user's consent went with it: the app is gone from My connected apps, and /authorize asks again.
    expect(await t.server.core.store.authorizations.getConsent(user.id, confidential.clientId)).toBeUndefined();
    const otherCompany = await createCompany(t.server.core, { name: 'Elsewhere' });
    const stranger = await makeAdmin(t, `stranger-${Date.now()}@test.example`, otherCompany.id);
    const strangerClient = new AdminClient(t.url);
    await strangerClient.signIn(stranger.loginId);
    expect((await strangerClient.get(`/apps/${confidential.clientId}/connections`)).status).toBe(404);
  });
});

describe('client type in the admin API', () => {
  it('refuses redirect URIs with a fragment or a scheme that runs code (RFC 6749 §3.1.2, RFC 9700 §4.1)', async () => {
    const admin = await makeAdmin(t, `uris-${Date.now()}@test.example`);
    const client = new AdminClient(t.url);
    expect((await client.signIn(admin.loginId)).status).toBe(200);
    const base = { name: 'Native', description: 'd', grants: ['authorization_code'], scopes: ['openid'] };
    for (const bad of ['javascript:alert(document.domain)//', 'data:text/html,<script>alert(1)</script>', 'https://app.example/cb#x', 'vbscript:msgbox']) {
      const answer = await client.post('/apps', { ...base, redirectUris: [redirectUri, bad] });
      expect(answer.status, bad).toBe(400);
      expect(answer.body.fields[0].field).toBe('redirectUris.1');
    }
    // A native app's private-use scheme and a loopback address stay allowed (RFC 8252 §7).
    const native = await client.post('/apps', { ...base, redirectUris: ['com.example.pocket:/callback', 'http://127.0.0.1:8765/cb'] });
    expect(native.status).toBe(201);
  });

  it('creates a public app, refuses an unknown client type, and switches it back', async () => {
    const admin = await makeAdmin(t, `types-${Date.now()}@test.example`);
    const client = new AdminClient(t.url);
    expect((await client.signIn(admin.loginId)).status).toBe(200);
    const base = { name: 'Native', description: 'd', grants: ['authorization_code'], scopes: ['openid'], redirectUris: [redirectUri] };
    const created = await client.post('/apps', { ...base, clientType: 'public' });
    expect(created.status).toBe(201);
    expect(created.body.app.clientType).toBe('public');
    expect((await client.post('/apps', base)).body.app.clientType).toBe('confidential');
    const bad = await client.post('/apps', { ...base, clientType: 'secretless' });
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toEqual([{ field: 'clientType', message: 'must be confidential or public' }]);
    const patched = await client.patch(`/apps/${created.body.app.clientId}`, { clientType: 'confidential' });
    expect(patched.body.clientType).toBe('confidential');
    const openapi = await client.request('GET', '/admin/api/openapi.json');
    expect(JSON.stringify(openapi.body)).toContain('clientType');
  });
});

describe('discovery', () => {
  it('names the authorization endpoint, the code flow with S256 and public clients', async () => {
    const doc = await (await fetch(`${t.url}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    expect(doc).toMatchObject({
      authorization_endpoint: `${t.url}/oauth2/v0/authorize`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
    });
    expect(doc.grant_types_supported).toContain('authorization_code');
    expect(doc.token_endpoint_auth_methods_supported).toContain('none');
  });
});
