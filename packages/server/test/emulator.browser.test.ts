/**
 * The admin console in emulator mode, in Debian's Chromium: every page shows the emulated time
 * and the active fault rules (docs/emulator.md), and nothing of it without emulator mode.
 * Screenshot `emulator-faults.png` (docs/screenshots/ with UPDATE_SCREENSHOTS=1). Without
 * /usr/bin/chromium the suite is skipped locally (loudly) and fails under CI=true.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPassword, makeAdmin } from './admin-helpers.js';
import { makeApp, startTestServer, type TestServer } from './helpers.js';

const chromiumPath = '/usr/bin/chromium';
const hasChromium = existsSync(chromiumPath);
const inCi = process.env.CI === 'true';
const screenshots = fileURLToPath(new URL(process.env.UPDATE_SCREENSHOTS === '1' ? '../../../docs/screenshots/' : '../../../test-results/screenshots/', import.meta.url));

if (!hasChromium && !inCi) {
  console.warn('\n\n*** emulator console browser tests SKIPPED: /usr/bin/chromium is missing. '
    + 'Install Debian\'s chromium: apt-get update && apt-get install -y chromium ***\n\n');
}

type PlaywrightPage = import('playwright-core').Page;
type PlaywrightContext = import('playwright-core').BrowserContext;

describe.skipIf(!hasChromium && !inCi)('the admin console in emulator mode', { timeout: 60_000 }, () => {
  let t: TestServer;
  let off: TestServer;
  let context: PlaywrightContext;
  let page: PlaywrightPage;
  let profile: string;
  const problems: string[] = [];

  const signIn = async (url: string) => {
    await page.goto(`${url}/admin`);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await page.getByLabel('Login ID').fill('emulator-admin');
    await page.getByLabel('Password').fill(adminPassword);
    await page.getByRole('button', { name: 'Sign In' }).click();
    await page.getByRole('heading', { level: 1, name: 'Authentication Admin' }).waitFor();
  };
  const post = (path: string, body: unknown) => fetch(`${t.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    if (!hasChromium) throw new Error('CI needs Debian\'s chromium at /usr/bin/chromium (apt-get install -y chromium)');
    mkdirSync(screenshots, { recursive: true });
    [t, off] = await Promise.all([startTestServer({ settings: { emulator: true } }), startTestServer()]);
    await Promise.all([makeAdmin(t, 'emulator-admin'), makeAdmin(off, 'emulator-admin')]);
    const { chromium } = await import('playwright-core');
    profile = mkdtempSync(join(tmpdir(), 'tessera-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 800 },
      locale: 'en-US',
      timezoneId: 'UTC',
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/status of 40[0134]/.test(message.text())) problems.push(`console: ${message.text()}`);
    });
  });

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
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
    await page.screenshot({ path: join(screenshots, 'emulator-faults.png'), fullPage: true });

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
