/**
 * App Center "Connect" driven in Debian's Chromium (docs/protocol.md §12 "App Center"): the
 * partner's administrator lists its app with a Connect URL in the app form; the customer's
 * administrator opens the App Center, clicks Connect, and the browser lands on the partner's
 * Connect URL, served here by a tiny loopback HTTP server playing the partner, which records the
 * query and converts the request token with the password grant. Then the customer disconnects the
 * app. Saves app-center.png (docs/screenshots/ with UPDATE_SCREENSHOTS=1). Without
 * /usr/bin/chromium the suite is skipped locally (loudly) and fails under CI=true.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTenant, type Tenant } from './admin-helpers.js';
import { postToken, startTestServer, type TestServer } from './helpers.js';
import { launchChromium, saveScreenshot, skipWithoutChromium, signInToConsole, warnIfSkipped, type ChromiumSession } from './browser-helpers.js';

warnIfSkipped('App Center browser tests');

/** What the partner's Connect URL received, and what converting the token answered. */
interface PartnerVisit {
  query: URLSearchParams;
  conversion: { status: number; body: Record<string, any> };
}

describe.skipIf(skipWithoutChromium)('App Center in Chromium', { timeout: 60_000 }, () => {
  let t: TestServer;
  let customer: Tenant;
  let partner: Tenant;
  let partnerServer: Server;
  let connectUrl = '';
  const visits: PartnerVisit[] = [];
  let browser: ChromiumSession;
  let page: Page;
  let problems: string[] = [];

  const heading = (name: string | RegExp) => page.getByRole('heading', { level: 1, name });

  /** The partner's web app: its Connect URL converts the request token at once, as an integration does. */
  function startPartner(): Promise<string> {
    partnerServer = createServer((request, response) => {
      void (async () => {
        const url = new URL(request.url ?? '/', 'http://127.0.0.1');
        if (url.pathname !== '/concur/connect') {
          response.writeHead(404).end();
          return;
        }
        const conversion = await postToken(t.url, {
          grant_type: 'password', credtype: 'authtoken', client_id: partner.app.clientId, client_secret: partner.app.clientSecret,
          username: url.searchParams.get('id') ?? '', password: url.searchParams.get('requestToken') ?? '',
        });
        visits.push({ query: url.searchParams, conversion });
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        response.end(`<!doctype html><title>Partner</title><h1>${conversion.status === 200 ? 'Connected to Concur' : 'Connection failed'}</h1>`);
      })();
    });
    return new Promise((resolve) => partnerServer.listen(0, '127.0.0.1', () => {
      resolve(`http://127.0.0.1:${(partnerServer.address() as AddressInfo).port}/concur/connect?from=concur`);
    }));
  }

  const signIn = (loginId: string) => signInToConsole(page, t.url, loginId);

  beforeAll(async () => {
    t = await startTestServer();
    customer = await makeTenant(t, 'Northwind Travel', 'northwind-admin');
    partner = await makeTenant(t, 'Expensify Partners', 'partner-admin');
    connectUrl = await startPartner();
    browser = await launchChromium();
    ({ page, problems } = browser);
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (partnerServer ? partnerServer.close(resolve) : resolve(undefined)));
    await t?.close();
  });

  it('lets the partner list its app with a Connect URL in the app form', async () => {
    await signIn('partner-admin');
    await page.goto(`${t.url}/admin#/apps/${partner.app.clientId}/edit`);
    await heading(/^Edit /).waitFor();
    await page.getByLabel('Listed in the App Center').check();
    await page.getByRole('button', { name: 'Save' }).click();
    // A listed app needs its Connect URL: the error sits next to the field, nothing is saved.
    await expect.poll(() => page.locator('#connect-url-error').textContent()).toMatch(/a listed app needs a Connect URL/i);
    await page.getByLabel('Connect URL').fill(connectUrl);
    await page.getByRole('button', { name: 'Save' }).click();
    await heading('Expensify Partners App').waitFor();
    const details = page.locator('dl.details');
    await expect.poll(() => details.textContent()).toContain('connected by 0 other companies');
    expect(await details.textContent()).toContain(connectUrl);
    await page.getByRole('button', { name: 'Sign Out' }).click();
    await heading('Sign in').waitFor();
  });

  it('connects from the App Center: the browser lands on the partner\'s Connect URL, which converts the token', async () => {
    await signIn('northwind-admin');
    await page.getByRole('link', { name: 'App Center' }).click();
    await heading('App Center').waitFor();
    const card = page.locator(`[data-app="${partner.app.clientId}"]`);
    await card.waitFor();
    expect(await card.textContent()).toContain('by Expensify Partners');
    expect(await card.textContent()).toContain('Not connected');
    await page.evaluate(() => document.getElementById('toast')?.classList.remove('visible'));
    await saveScreenshot(page, 'app-center');

    // With the keyboard, as an administrator without a mouse would.
    await card.getByRole('button', { name: 'Connect' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.href.startsWith(connectUrl.split('?')[0]!));
    await page.getByRole('heading', { name: 'Connected to Concur' }).waitFor();
    expect(visits).toHaveLength(1);
    const [visit] = visits;
    expect(visit!.query.get('from')).toBe('concur');
    expect(visit!.query.get('id')).toBe(customer.companyId);
    expect(visit!.query.get('userID')).toBe(customer.adminId);
    expect(visit!.conversion.status).toBe(200);
    expect(visit!.conversion.body.refresh_token).toEqual(expect.any(String));
    const me = await fetch(`${t.url}/profile/v1/me`, { headers: { authorization: `Bearer ${visit!.conversion.body.access_token}` } });
    expect(await me.json()).toMatchObject({ id: customer.companyId, meta: { principalType: 'company' } });
  });

  it('shows the connection back in the App Center, and disconnects it', async () => {
    await page.goto(`${t.url}/admin#/app-center`);
    await heading('App Center').waitFor();
    const card = page.locator(`[data-app="${partner.app.clientId}"]`);
    await expect.poll(() => card.textContent()).toContain('1 active connection');
    expect(await card.textContent()).toContain('Connected');
    await card.getByRole('button', { name: 'Disconnect' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Disconnect' }).click();
    await expect.poll(() => card.textContent()).toContain('Not connected');
    expect(await t.server.core.store.apps.getCompanyGrant(partner.app.clientId, customer.companyId)).toMatchObject({ enabled: false });
    const refresh = await postToken(t.url, {
      grant_type: 'refresh_token', client_id: partner.app.clientId, client_secret: partner.app.clientSecret,
      refresh_token: visits[0]!.conversion.body.refresh_token,
    });
    expect(refresh.status).not.toBe(200);
  });

  it('raised no page errors', () => {
    expect(problems).toEqual([]);
  });
});
