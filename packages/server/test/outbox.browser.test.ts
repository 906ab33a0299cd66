/**
 * The console's Outbox page in Debian's Chromium (docs/admin-console.md "Outbox"): with no SMTP
 * server configured, an administrator opens Outbox from Authentication Admin, reads the one-time
 * password mailed to a user of the company, and that code completes `grant_type=otp`; another
 * company's administrator sees an empty outbox. Saves outbox.png (docs/screenshots/ with
 * UPDATE_SCREENSHOTS=1). Skipped loudly without /usr/bin/chromium, failing under CI=true.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, createUser } from 'tessera-server';
import { makeTenant, type Tenant } from './admin-helpers.js';
import { postToken, startTestServer, type TestServer } from './helpers.js';
import { launchChromium, saveScreenshot, skipWithoutChromium, signInToConsole, warnIfSkipped, type ChromiumSession } from './browser-helpers.js';

warnIfSkipped('outbox browser test');

describe.skipIf(skipWithoutChromium)('the console Outbox page in Chromium', { timeout: 60_000 }, () => {
  let t: TestServer;
  let alpha: Tenant;
  let bravo: Tenant;
  let browser: ChromiumSession;
  let page: Page;
  let problems: string[] = [];
  const app = { clientId: '', clientSecret: '' };
  const email = 'pat.doe@alpha.example';

  const heading = (name: string | RegExp) => page.getByRole('heading', { level: 1, name });

  const signIn = (loginId: string) => signInToConsole(page, t.url, loginId);

  beforeAll(async () => {
    t = await startTestServer();
    alpha = await makeTenant(t, 'Alpha Corp', 'alpha-admin');
    bravo = await makeTenant(t, 'Bravo Ltd', 'bravo-admin');
    const created = await createApp(t.server.core, alpha.companyId, {
      name: 'Acme Expense Sync', description: 'expense reports for the road', grants: ['otp', 'refresh_token'], scopes: ['openid', 'user.read'],
    });
    Object.assign(app, { clientId: created.app.id, clientSecret: created.clientSecret });
    await createUser(t.server.core, { companyId: alpha.companyId, loginId: 'pat.doe', password: 'correct horse battery', email, displayName: 'Pat Doe' });
    browser = await launchChromium();
    ({ page, problems } = browser);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows the mailed one-time password to the company\'s administrator, and the code from the page works', async () => {
    const sent = await fetch(`${t.url}/oauth2/v0/otp`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: app.clientId, client_secret: app.clientSecret, channel_type: 'email', channel_handle: email, link: 'https://expenses.example/sign-in',
      }),
    });
    expect(sent.status).toBe(200);

    await signIn('alpha-admin');
    await page.getByRole('link', { name: 'Outbox' }).click();
    await heading('Outbox').waitFor();
    const row = page.locator('tbody tr').first();
    await expect.poll(() => row.textContent()).toContain(email);
    expect(await page.locator('tbody tr').count()).toBe(1);
    const text = (await row.textContent())!;
    expect(text).toContain('Your one-time password for Acme Expense Sync');
    expect(text).toContain('Hello Pat Doe,');
    const otp = text.match(/dd-[a-z0-9]{30}/)![0];
    expect(text).toContain(`https://expenses.example/sign-in?token=${otp}`);
    await saveScreenshot(page, 'outbox');

    const token = await postToken(t.url, {
      grant_type: 'otp', client_id: app.clientId, client_secret: app.clientSecret, otp, channel_type: 'email', channel_handle: email,
      link: 'https://expenses.example/sign-in',
    });
    expect(token.status, JSON.stringify(token.body)).toBe(200);

    // Keyboard: the Refresh button is reachable and reloads the list.
    await page.getByRole('button', { name: 'Refresh' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
  });

  it('shows another company\'s administrator an empty outbox', async () => {
    await page.getByRole('button', { name: 'Sign Out' }).click();
    await signIn('bravo-admin');
    await page.goto(`${t.url}/admin#/outbox`);
    await heading('Outbox').waitFor();
    await expect.poll(() => page.locator('tbody').textContent()).toContain('No mail in the outbox.');
    expect(await page.locator('main').textContent()).not.toContain(email);
    expect(bravo.companyId).not.toBe(alpha.companyId);
  });

  it('caused no page or console errors', () => {
    expect(problems).toEqual([]);
  });
});
