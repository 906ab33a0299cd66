/**
 * The admin console in emulator mode, in Debian's Chromium: every page shows the emulated time
 * and the active fault rules (docs/emulator.md), and nothing of it without emulator mode.
 * Screenshot `emulator-faults.png` (docs/screenshots/ with UPDATE_SCREENSHOTS=1). Without
 * /usr/bin/chromium the suite is skipped locally (loudly) and fails under CI=true.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAdmin } from './admin-helpers.js';
import { makeApp, startTestServer, type TestServer } from './helpers.js';
import { launchChromium, saveScreenshot, skipWithoutChromium, signInToConsole, warnIfSkipped, type ChromiumSession } from './browser-helpers.js';

warnIfSkipped('emulator console browser tests');

describe.skipIf(skipWithoutChromium)('the admin console in emulator mode', { timeout: 60_000 }, () => {
  let t: TestServer;
  let off: TestServer;
  let browser: ChromiumSession;
  let page: Page;
  let problems: string[] = [];

  const signIn = (url: string) => signInToConsole(page, url, 'emulator-admin');
  const post = (path: string, body: unknown) => fetch(`${t.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    [t, off] = await Promise.all([startTestServer({ settings: { emulator: true } }), startTestServer()]);
    await Promise.all([makeAdmin(t, 'emulator-admin'), makeAdmin(off, 'emulator-admin')]);
    browser = await launchChromium();
    ({ page, problems } = browser);
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([t?.close(), off?.close()]);
  });

  it('shows the emulated time and every active fault rule on the pages', async () => {
    const app = await makeApp(t, { name: 'Expense Sync' });
    expect((await post('/emulator/v0/clock', { advance: '181d' })).status).toBe(200);
    expect((await post('/emulator/v0/faults', { match: { path: '/oauth2/v0/token', grantType: 'refresh_token' }, effect: { type: 'http-status', status: 503 }, times: 2 })).status).toBe(201);
    expect((await post('/emulator/v0/faults', { match: { clientId: app.clientId }, effect: { type: 'concur-error', code: 134 }, probability: 0.25 })).status).toBe(201);
    expect((await post('/emulator/v0/faults', { match: { path: '/profile/v1/me' }, effect: { type: 'drop' } })).status).toBe(201);

    await signIn(t.url);
    const banner = page.getByRole('region', { name: 'Emulator mode' });
    await banner.waitFor();
    await expect.poll(() => banner.textContent()).toContain('3 active fault rules');
    expect(await banner.textContent()).toContain('181 days ahead of the real time');
    const rules = banner.getByRole('list', { name: 'Active fault rules' }).getByRole('listitem');
    expect(await rules.allTextContents()).toEqual([
      expect.stringMatching(/^HTTP 503 for path \/oauth2\/v0\/token, grantType refresh_token — 2 more · fired 0×$/),
      expect.stringMatching(new RegExp(`^Concur error code 134 for clientId ${app.clientId} — until cleared · 25% of requests · fired 0×$`)),
      'dropped connection for path /profile/v1/me — until cleared · fired 0×',
    ]);
    await page.waitForTimeout(250);
    await saveScreenshot(page, 'emulator-faults');

    // Cleared rules leave the banner at the next page.
    expect((await fetch(`${t.url}/emulator/v0/faults`, { method: 'DELETE' })).status).toBe(204);
    await page.getByRole('link', { name: 'OAuth 2.0 Application Management' }).click();
    await expect.poll(() => banner.textContent()).toContain('no active fault rules');
    expect(problems).toEqual([]);
  });

  it('shows no banner without emulator mode', async () => {
    await signIn(off.url);
    await page.waitForTimeout(300);
    expect(await page.locator('#emulator-banner').isHidden()).toBe(true);
    expect(problems).toEqual([]);
  });
});
