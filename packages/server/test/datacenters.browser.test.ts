/**
 * The company's home datacenter in the admin console, driven in Debian's Chromium (docs/protocol.md
 * §10, docs/admin-console.md): on a two-datacenter deployment the administrator sees "None", moves
 * the company to eu2 and back, and the store follows. Saves home-datacenter.png (docs/screenshots/
 * with UPDATE_SCREENSHOTS=1). Without /usr/bin/chromium skipped locally (loudly), failing under CI=true.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPassword, makeTenant, type Tenant } from './admin-helpers.js';
import { startTestServer, type TestServer } from './helpers.js';
import { launchChromium, saveScreenshot, skipWithoutChromium, warnIfSkipped, type ChromiumSession } from './browser-helpers.js';

warnIfSkipped('home datacenter browser test');

describe.skipIf(skipWithoutChromium)('home datacenter in the console', { timeout: 60_000 }, () => {
  let t: TestServer;
  let tenant: Tenant;
  let browser: ChromiumSession;

  beforeAll(async () => {
    t = await startTestServer({ settings: { datacenters: 'us2=http://127.0.0.1:0,eu2=http://127.0.0.1:0' } });
    tenant = await makeTenant(t, 'Alpha Corp', 'alpha-admin');
    // This suite counts page errors only (console errors are not collected here).
    browser = await launchChromium({ viewport: { width: 1280, height: 900 }, collectConsoleErrors: false });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('moves the company to eu2 and back to none', async () => {
    const { us2, eu2 } = t.server.datacenters as { us2: string; eu2: string };
    const { page, problems } = browser;
    await page.goto(`${us2}/admin`);
    await page.getByLabel('Login ID').fill(tenant.adminLoginId);
    await page.getByLabel('Password').fill(adminPassword);
    await page.getByRole('button', { name: 'Sign In' }).click();
    const section = page.locator('#home-datacenter');
    await expect.poll(() => section.textContent()).toContain('None: users are served by whichever datacenter they reach');

    await page.getByLabel('Move to').selectOption('eu2');
    await section.getByRole('button', { name: 'Move' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Move' }).click();
    await expect.poll(() => section.locator('[data-home-datacenter]').getAttribute('data-home-datacenter')).toBe(eu2);
    expect((await t.server.core.store.companies.get(tenant.companyId))?.geolocation).toBe(eu2);
    await page.evaluate(() => document.getElementById('toast')?.classList.remove('visible'));
    await saveScreenshot(page, 'home-datacenter');

    await page.getByLabel('Move to').selectOption('');
    await section.getByRole('button', { name: 'Move' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Move' }).click();
    await expect.poll(() => section.locator('[data-home-datacenter]').getAttribute('data-home-datacenter')).toBe('');
    expect((await t.server.core.store.companies.get(tenant.companyId))?.geolocation).toBeNull();
    expect(problems).toEqual([]);
  });
});
