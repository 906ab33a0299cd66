/**
 * The company's home datacenter in the admin console, driven in Debian's Chromium (docs/protocol.md
 * §10, docs/admin-console.md): on a two-datacenter deployment the administrator sees "None", moves
 * the company to eu2 and back, and the store follows. Saves home-datacenter.png (docs/screenshots/
 * with UPDATE_SCREENSHOTS=1). Without /usr/bin/chromium skipped locally (loudly), failing under CI=true.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPassword, makeTenant, type Tenant } from './admin-helpers.js';
import { startTestServer, type TestServer } from './helpers.js';

const chromiumPath = '/usr/bin/chromium';
const hasChromium = existsSync(chromiumPath);
const inCi = process.env.CI === 'true';
const screenshots = fileURLToPath(new URL(process.env.UPDATE_SCREENSHOTS === '1' ? '../../../docs/screenshots/' : '../../../test-results/screenshots/', import.meta.url));

if (!hasChromium && !inCi) {
  console.warn('\n\n*** home datacenter browser test SKIPPED: /usr/bin/chromium is missing (apt-get install -y chromium) ***\n\n');
}

describe.skipIf(!hasChromium && !inCi)('home datacenter in the console', { timeout: 60_000 }, () => {
  let t: TestServer;
  let tenant: Tenant;
  let context: import('playwright-core').BrowserContext;
  let profile: string;
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(screenshots, { recursive: true });
    t = await startTestServer({ settings: { datacenters: 'us2=http://127.0.0.1:0,eu2=http://127.0.0.1:0' } });
    tenant = await makeTenant(t, 'Alpha Corp', 'alpha-admin');
    const { chromium } = await import('playwright-core');
    profile = mkdtempSync(join(tmpdir(), 'tessera-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath, headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 }, locale: 'en-US', timezoneId: 'UTC',
    });
  });
  afterAll(async () => {
    await context?.close();
    await t?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('moves the company to eu2 and back to none', async () => {
    const { us2, eu2 } = t.server.datacenters as { us2: string; eu2: string };
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
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
    await page.screenshot({ path: join(screenshots, 'home-datacenter.png'), fullPage: true });

    await page.getByLabel('Move to').selectOption('');
    await section.getByRole('button', { name: 'Move' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Move' }).click();
    await expect.poll(() => section.locator('[data-home-datacenter]').getAttribute('data-home-datacenter')).toBe('');
    expect((await t.server.core.store.companies.get(tenant.companyId))?.geolocation).toBeNull();
    expect(problems).toEqual([]);
  });
});
