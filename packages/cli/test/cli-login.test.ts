/**
 * `tessera token login` against a real Tessera: the code flow with PKCE and a loopback redirect
 * on 127.0.0.1 (RFC 8252), the sign-in and consent pages driven in Debian's Chromium, the
 * connection stored like `token convert`'s; and what the listener does with a forged state, a
 * denial, a timeout and a busy port.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createUser } from 'tessera-server';
import { makeApp, makeRequestToken, startTestServer, type TestServer } from '../../server/test/helpers.js';
import { cli, startCli, tempHome } from './run-cli.js';

const chromiumPath = '/usr/bin/chromium';
const password = 'Correct-Horse-Battery-9';
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A port that was free a moment ago (the redirect URI must name it before the listener starts). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function setUp(appInput: Record<string, unknown> = {}, envFlags: string[] = []) {
  const t = await startTestServer();
  cleanups.push(() => t.close());
  const { home, remove } = tempHome();
  cleanups.push(remove);
  const port = await freePort();
  const redirectUri = `http://127.0.0.1:${port}/callback`;
  const { clientId, clientSecret } = await makeApp(t, {
    grants: ['authorization_code', 'refresh_token', 'password'], redirectUris: [redirectUri], ...appInput,
  } as Parameters<typeof makeApp>[1]);
  const added = await cli(home, ['env', 'add', 'dev', '--datacenter', t.url, '--client-id', clientId, ...(envFlags.length ? envFlags : ['--client-secret-stdin'])],
    { input: `${clientSecret}\n` });
  expect(added.code, added.stderr).toBe(0);
  return { t, home, port, redirectUri, clientId, clientSecret };
}

/** Starts `token login` and answers the URL it printed. */
async function login(home: string, args: string[]) {
  const running = startCli(home, ['token', 'login', '--no-browser', ...args]);
  cleanups.push(() => running.stop());
  const [, url] = await running.stderrMatch(/^ {2}(http\S+\/oauth2\/v0\/authorize\?\S+)$/m);
  return { running, url: new URL(url!) };
}

describe('tessera token login: the listener', () => {
  it('ignores a redirect with another state, then reports a denial with exit code 3 and stores nothing', async () => {
    const { home, port, redirectUri, clientId } = await setUp();
    const { running, url } = await login(home, ['--port', String(port)]);
    expect(url.searchParams.get('client_id')).toBe(clientId);
    expect(url.searchParams.get('redirect_uri')).toBe(redirectUri);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(running.output().stderr).toContain(`waiting for the redirect to ${redirectUri}`);

    const forged = await fetch(`${redirectUri}?code=stolen&state=forged`);
    expect(forged.status).toBe(400);
    expect(forged.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await forged.text()).toContain('does not belong to the sign-in');
    expect((await fetch(`http://127.0.0.1:${port}/elsewhere`)).status).toBe(404);

    const denied = await fetch(`${redirectUri}?error_code=user_denied&error_description=The+user+denied+your+request&state=${url.searchParams.get('state')}`);
    expect(await denied.text()).toContain('You did not allow the app');
    const result = await running.done;
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/ignored a redirect with another state/);
    expect(result.stderr).toMatch(/not connected: .*user_denied/);
    expect(result.stdout).toBe('');
    const status = await cli(home, ['env', 'show', 'dev', '--json']);
    expect(JSON.parse(status.stdout).connected).toBe(false);
  });

  it('gives up after --timeout, and refuses a port in use', async () => {
    const { home, port } = await setUp();
    const waited = await startCli(home, ['token', 'login', '--no-browser', '--port', String(port), '--timeout', '1']).done;
    expect(waited.code).toBe(1);
    expect(waited.stderr).toMatch(/no sign-in came back within 1 s/);

    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const busy = await cli(home, ['token', 'login', '--no-browser', '--port', String(port)]);
    expect(busy.code).toBe(2);
    expect(busy.stderr).toMatch(new RegExp(`port ${port} on 127.0.0.1 is in use`));
  });

  it('keeps a public app without a client secret (env add --public)', async () => {
    const { home, t, clientId } = await setUp();
    const added = await cli(home, ['env', 'add', 'pub', '--public', '--datacenter', t.url, '--client-id', clientId, '--json']);
    expect(added.code, added.stderr).toBe(0);
    const shown = JSON.parse((await cli(home, ['env', 'show', 'pub', '--json'])).stdout);
    expect(shown.clientSecret).toBe('(none: public app)');
    const both = await cli(home, ['env', 'add', 'pub2', '--public', '--client-secret-stdin', '--datacenter', t.url, '--client-id', clientId], { input: 'x\n' });
    expect(both.code).toBe(2);
  });

  it('refuses to replace a live connection without --force, as token convert does', async () => {
    const { t, home, clientId } = await setUp();
    const { companyUUID, requestToken } = await makeRequestToken(t, clientId);
    const converted = await cli(home, ['token', 'convert', '--company-uuid', companyUUID, '--request-token-stdin'], { input: requestToken });
    expect(converted.code, converted.stderr).toBe(0);
    const again = await cli(home, ['token', 'login', '--no-browser', '--timeout', '1']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already connected.*\n.*--force/);
  });
});

// The server half (sign-in and consent pages, grant_type=authorization_code) per the shared page contract.
describe('tessera token login: a user signs in and allows the app in Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(chromiumPath)) throw new Error('these tests need Debian\'s chromium at /usr/bin/chromium (apt-get install -y chromium)');
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: chromiumPath, headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
  });

  /** Signs in and allows (or denies) the app in a fresh browser context, closed (with its connections to the service) before the service. */
  async function signInAndAllow(url: URL, loginId: string, choice: 'Allow' | 'Deny' = 'Allow') {
    const context = await browser.newContext({ locale: 'en-US', timezoneId: 'UTC' });
    cleanups.push(() => context.close());
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(url.href);
    await page.getByLabel('Login ID').fill(loginId);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: choice }).click();
    await page.getByRole('heading', { name: choice === 'Allow' ? 'Connected' : 'Not connected' }).waitFor();
    expect(await page.textContent('body')).toContain('You can close this window');
  }

  it('connects the user: the code is exchanged with PKCE and the connection works like a converted one', async () => {
    const { t, home, port } = await setUp();
    const user = await createUser(t.server.core, { companyId: t.companyId, loginId: 'ann@example.com', password, email: 'ann@example.com' });
    const { running, url } = await login(home, ['--port', String(port), '--scope', 'openid user.read', '--json']);
    expect(url.searchParams.get('scope')).toBe('openid user.read');
    await signInAndAllow(url, 'ann@example.com');

    const result = await running.done;
    expect(result.code, result.stderr).toBe(0);
    const connected = JSON.parse(result.stdout);
    expect(connected).toMatchObject({ connected: 'dev', geolocation: t.url, principal: `user ${user.id}` });
    expect(connected.scopes).toEqual(expect.arrayContaining(['openid', 'user.read']));
    expect(connected.daysLeft).toBeGreaterThanOrEqual(179);

    // From here on it is an ordinary connection: token get refreshes from it, call uses it.
    const me = await cli(home, ['call', '/profile/v1/me']);
    expect(me.code, me.stderr).toBe(0);
    expect(JSON.parse(me.stdout)).toMatchObject({ id: user.id });
  });

  it('connects a public app (no client secret; PKCE instead)', async () => {
    const { t, home, port } = await setUp({ clientType: 'public' }, ['--public']);
    const user = await createUser(t.server.core, { companyId: t.companyId, loginId: 'bob@example.com', password, email: 'bob@example.com' });
    const { running, url } = await login(home, ['--port', String(port), '--json']);
    await signInAndAllow(url, 'bob@example.com');
    const result = await running.done;
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ principal: `user ${user.id}` });
    const got = await cli(home, ['token', 'get']);
    expect(got.code, got.stderr).toBe(0);
  });

  it('ends with exit code 3 and stores nothing when the user chooses Deny', async () => {
    const { t, home, port } = await setUp();
    await createUser(t.server.core, { companyId: t.companyId, loginId: 'cy@example.com', password, email: 'cy@example.com' });
    const { running, url } = await login(home, ['--port', String(port)]);
    await signInAndAllow(url, 'cy@example.com', 'Deny');
    const result = await running.done;
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/not connected: .*user_denied/);
    expect(JSON.parse((await cli(home, ['env', 'show', 'dev', '--json'])).stdout).connected).toBe(false);
  });
});
