/**
 * The authorization-code flow of a standard client, openid-client v6 with PKCE and a nonce,
 * completed through the real sign-in and consent pages in Debian's Chromium (docs/protocol.md
 * §4): Allow, remembered consent, `prompt=consent` then Deny, and withdrawing the app on "My
 * connected apps". Saves screenshots of the three pages to test-results/screenshots/
 * (docs/screenshots/ with UPDATE_SCREENSHOTS=1). Without /usr/bin/chromium the suite is skipped
 * locally (loudly) and fails under CI=true.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeApp, makeUser, startTestServer, type TestServer } from './helpers.js';
import { launchChromium, saveScreenshot, skipWithoutChromium, warnIfSkipped, type ChromiumSession } from './browser-helpers.js';

warnIfSkipped('authorize browser tests');

describe.skipIf(skipWithoutChromium)('authorization code flow in Chromium', { timeout: 60_000 }, () => {
  let t: TestServer;
  let callback: Server;
  let redirectUri: string;
  let config: oidc.Configuration;
  let browser: ChromiumSession;
  let page: Page;
  let problems: string[] = [];
  const loginId = 'casey@test.example';
  const password = 'correct horse battery staple';
  let userId = '';
  let firstRefreshToken = '';

  const shoot = async (name: string) => {
    await page.waitForTimeout(150);
    await saveScreenshot(page, name);
  };

  /** A fresh request: its URL and what openid-client checks the answer against. */
  function newRequest(extra: Record<string, string> = {}) {
    const verifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    const state = oidc.randomState();
    return {
      verifier, nonce, state,
      url: async () => oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri, scope: 'openid user.read', nonce, state,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...extra,
      }).href,
    };
  }

  const atCallback = () => page.waitForURL((url) => url.href.startsWith(redirectUri));

  beforeAll(async () => {
    // The app's redirect URI: a loopback server that only says the browser arrived.
    callback = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('back at the app'));
    await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve));
    redirectUri = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/callback`;
    t = await startTestServer();
    const app = await makeApp(t, {
      name: 'Expense Sync', description: 'Sends your receipts to your expense reports.',
      grants: ['authorization_code', 'refresh_token'], redirectUris: [redirectUri],
    });
    userId = (await makeUser(t, loginId, password)).id;
    config = await oidc.discovery(new URL(t.url), app.clientId, app.clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });

    browser = await launchChromium({ ignoreConsoleErrors: null });
    ({ page, problems } = browser);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await new Promise((resolve) => callback?.close(resolve));
  });

  it('signs in with the keyboard, consents, and openid-client exchanges the code with PKCE and the nonce', async () => {
    const request = newRequest();
    await page.goto(await request.url());
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await shoot('authorize-sign-in');
    await page.getByLabel('Login ID').fill(loginId);
    await page.keyboard.press('Tab');
    await page.keyboard.type(password);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    const text = await page.locator('main').textContent();
    expect(text).toContain('Expense Sync');
    expect(text).toContain('Test Company');
    expect(text).toContain('Read your user profile');
    expect(text).toContain('Sign you in to the app with your Concur identity');
    await shoot('authorize-consent');
    await page.getByRole('button', { name: 'Allow' }).click();
    await atCallback();
    const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), {
      pkceCodeVerifier: request.verifier, expectedNonce: request.nonce, expectedState: request.state,
    });
    expect(tokens.claims()).toMatchObject({ sub: userId, nonce: request.nonce });
    expect(tokens.refresh_token).toBeTruthy();
    firstRefreshToken = tokens.refresh_token!;
  });

  it('remembers the consent: a second run returns to the app without a page', async () => {
    const request = newRequest();
    await page.goto(await request.url());
    await atCallback();
    const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), {
      pkceCodeVerifier: request.verifier, expectedNonce: request.nonce, expectedState: request.state,
    });
    expect(tokens.claims()?.sub).toBe(userId);
  });

  it('asks again with prompt=consent; Deny returns user_denied', async () => {
    const request = newRequest({ prompt: 'consent' });
    await page.goto(await request.url());
    await page.getByRole('button', { name: 'Deny' }).click();
    await atCallback();
    const params = new URL(page.url()).searchParams;
    expect(params.get('error_code')).toBe('user_denied');
    expect(params.get('error_description')).toBeTruthy();
    expect(params.get('state')).toBe(request.state);
    expect(params.get('code')).toBeNull();
  });

  it('lists the app on "My connected apps"; Withdraw ends its refresh token', async () => {
    await page.goto(`${t.url}/account/connected-apps`);
    await page.getByRole('heading', { level: 1, name: 'My connected apps' }).waitFor();
    expect(await page.locator('main').textContent()).toContain('Expense Sync');
    await shoot('connected-apps');
    await page.getByRole('button', { name: 'Withdraw Expense Sync' }).click();
    await page.getByText('The app was disconnected.').waitFor();
    expect(await page.locator('main').textContent()).toContain('No app is connected');
    await expect(oidc.refreshTokenGrant(config, firstRefreshToken)).rejects.toThrow();
    // The consent is gone: the next request asks again.
    await page.goto(await newRequest().url());
    await page.getByRole('button', { name: 'Allow' }).waitFor();
  });

  it('had no page errors and no console errors (no CSP violation)', () => {
    expect(problems).toEqual([]);
  });
});
