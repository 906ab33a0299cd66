/**
 * The admin console driven in Debian's Chromium (steps 1 and 2 of the four): sign in,
 * create an app (the "at least one scope" error first), copy the credentials from the dialog,
 * generate a company request token and complete the password grant with those values; rotate a
 * secret; revoke a connection; and try another company's ids. Saves a screenshot of each page to
 * test-results/screenshots/ (docs/screenshots/ with UPDATE_SCREENSHOTS=1). Without /usr/bin/chromium the suite is skipped locally (loudly) and fails
 * under CI=true.
 */
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, createUser } from 'tessera-server';
import { adminPassword, makeTenant, type Tenant } from './admin-helpers.js';
import { defaultScopes, postToken, startTestServer, type TestServer } from './helpers.js';
import { launchChromium, saveScreenshot, screenshots, skipWithoutChromium, warnIfSkipped, type ChromiumSession } from './browser-helpers.js';

warnIfSkipped('admin console browser tests');

describe.skipIf(skipWithoutChromium)('admin console in Chromium', { timeout: 60_000 }, () => {
  let t: TestServer;
  let alpha: Tenant;
  let bravo: Tenant;
  let browser: ChromiumSession;
  let context: BrowserContext;
  let page: Page;
  let problems: string[] = [];
  const created = { clientId: '', clientSecret: '', name: 'Acme Expense Sync' };
  let refreshToken = '';

  /** Saves <screenshots>/<name>.png: the whole page, or only the window while a dialog is open. */
  const shoot = async (name: string, fullPage = true) => {
    await page.evaluate(() => document.getElementById('toast')?.classList.remove('visible'));
    await page.waitForTimeout(250);
    await saveScreenshot(page, name, fullPage);
  };
  const heading = (name: string | RegExp) => page.getByRole('heading', { level: 1, name });
  const clipboard = () => page.evaluate(() => navigator.clipboard.readText());

  beforeAll(async () => {
    t = await startTestServer();
    alpha = await makeTenant(t, 'Alpha Corp', 'alpha-admin');
    bravo = await makeTenant(t, 'Bravo Ltd', 'bravo-admin');
    for (const [name, description] of [['Nightly Expense Export', 'Exports approved reports to the ERP'], ['Travel Itinerary Sync', 'Pulls itineraries for the travel desk']]) {
      await createApp(t.server.core, alpha.companyId, { name, description, grants: ['password', 'refresh_token'], scopes: defaultScopes, stage: 'production' });
    }
    browser = await launchChromium();
    ({ context, page, problems } = browser);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.url });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('signs in with the keyboard, after a wrong password is refused', async () => {
    await page.goto(`${t.url}/admin`);
    await heading('Sign in').waitFor();
    await shoot('sign-in');
    await page.getByLabel('Login ID').fill('alpha-admin');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign In' }).click();
    await expect.poll(() => page.locator('#login-id-error, .error-summary').first().textContent()).toMatch(/Incorrect credentials/i);
    // A sign-in saves nothing: the summary says what went wrong.
    expect(await page.locator('.error-summary h2').textContent()).toBe('Wrong login ID or password.');
    expect(await page.locator('main').textContent()).not.toContain('Nothing was saved');

    await page.getByLabel('Login ID').focus();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('alpha-admin');
    await page.keyboard.press('Tab');
    await page.keyboard.type(adminPassword);
    await page.keyboard.press('Enter');
    await heading('Authentication Admin').waitFor();
    await expect.poll(() => page.locator('#account').textContent()).toContain(alpha.companyName);
    expect(await page.getByRole('link', { name: 'OAuth 2.0 Application Management' }).isVisible()).toBe(true);
    expect(await page.getByRole('link', { name: 'Company Request Token' }).isVisible()).toBe(true);
    await shoot('authentication-admin');
  });

  it('lists apps with a filter and sortable columns', async () => {
    await page.getByRole('link', { name: 'OAuth 2.0 Application Management' }).click();
    await heading('Application List').waitFor();
    await page.locator('tbody tr').first().waitFor();
    expect(await page.locator('tbody tr').count()).toBe(3);
    await page.getByRole('button', { name: /App Name/ }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('th[data-sort="name"]').getAttribute('aria-sort')).toBe('ascending');
    await expect.poll(() => page.locator('tbody tr td:nth-child(2)').allTextContents())
      .toEqual(['Alpha Corp App', 'Nightly Expense Export', 'Travel Itinerary Sync']);
    await page.getByLabel('Filter by Client ID, App Name').fill('travel');
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    await page.getByLabel('Filter by Client ID, App Name').fill('');
    await expect.poll(() => page.locator('tbody tr').count()).toBe(3);
    await shoot('application-list');
  });

  it('keeps what is typed at once into Create New App while the list it came from is still loading', async () => {
    // The list answers slowly, so its render is still running when "Create New App" opens.
    const slowList = async (route: import('playwright-core').Route) => {
      await new Promise((resolve) => setTimeout(resolve, 700));
      await route.continue().catch(() => {});
    };
    await page.route('**/admin/api/apps?*', slowList);
    try {
      await page.goto(`${t.url}/admin#/`);
      await heading('Authentication Admin').waitFor();
      await page.getByRole('link', { name: 'OAuth 2.0 Application Management' }).click();
      await page.getByRole('link', { name: 'Create New App' }).click();
      // Anchored: the list page, still shown for a moment, has "Filter by Client ID, App Name" too.
      await page.getByLabel(/^App Name/).click();
      await page.keyboard.type('Typed in the first moment', { delay: 60 });
      await page.waitForTimeout(800);
      expect(await page.getByLabel(/^App Name/).inputValue()).toBe('Typed in the first moment');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('app-name');
      expect(await page.locator('h1').allTextContents()).toEqual(['Create New App']);
      // The list's late answer does not rewrite the new page's address.
      expect(new URL(page.url()).hash).toBe('#/apps/new');
    } finally {
      await page.unroute('**/admin/api/apps?*', slowList);
    }
    await page.goto(`${t.url}/admin#/apps`);
    await heading('Application List').waitFor();
    await page.locator('tbody tr').first().waitFor();
  });

  it('scope picker: a unique id and an accessible name for every box; Identity labels do not overlap at 1280 px', async () => {
    await page.goto(`${t.url}/admin#/apps/new`);
    await heading('Create New App').waitFor();
    await page.evaluate(() => { for (const details of document.querySelectorAll('details.scope-group')) (details as HTMLDetailsElement).open = true; });
    const boxes = await page.locator('.scope-picker input[type=checkbox]').evaluateAll((inputs) => inputs.map((input) => ({ id: input.id, value: (input as HTMLInputElement).value })));
    expect(boxes.length).toBeGreaterThan(20);
    expect(new Set(boxes.map((box) => box.id)).size).toBe(boxes.length);
    const perScope = new Map<string, number>();
    for (const { value } of boxes) perScope.set(value, (perScope.get(value) ?? 0) + 1);
    for (const [scope, count] of perScope) {
      expect(await page.getByRole('checkbox', { name: scope, exact: true }).count(), scope).toBe(count);
    }

    await page.getByText('user_read', { exact: true }).click();
    expect(await page.getByRole('checkbox', { name: 'user_read', exact: true }).isChecked()).toBe(true);
    expect(await page.getByRole('checkbox', { name: 'user.read', exact: true }).isChecked()).toBe(false);
    await page.getByRole('checkbox', { name: 'user_read', exact: true }).uncheck();

    const identity = page.locator('details.scope-group').filter({ has: page.locator('summary', { hasText: 'Identity' }) });
    const rects = await identity.locator('.scope-name').evaluateAll((names) => names.map((name) => {
      const { left, right, top, bottom } = name.getBoundingClientRect();
      return { text: name.textContent, left, right, top, bottom };
    }));
    expect(rects.length).toBeGreaterThan(5);
    for (const [i, a] of rects.entries()) {
      for (const b of rects.slice(i + 1)) {
        const overlap = a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
        expect(overlap, `${a.text} overlaps ${b.text}`).toBe(false);
      }
    }
    await identity.scrollIntoViewIfNeeded();
    await identity.screenshot({ path: join(screenshots, 'scope-picker-identity-1280.png') });
    await page.goto(`${t.url}/admin#/apps`);
    await heading('Application List').waitFor();
    await page.locator('tbody tr').first().waitFor();
  });

  it('creates an app: "at least one scope" first, then the App Credentials dialog with copy buttons', async () => {
    const before = (await t.server.core.store.apps.list({ companyId: alpha.companyId })).total;
    await page.getByRole('link', { name: 'Create New App' }).click();
    await heading('Create New App').waitFor();
    await page.getByLabel(/^App Name/).fill(created.name);
    await page.getByLabel('App Description').fill('Nightly expense export for Alpha Corp');
    await page.getByLabel('App Stage').selectOption('test');
    await page.getByLabel('Web Services (WS) Client').check();
    await page.locator('#grants').getByLabel('client_credentials').check();
    await page.getByRole('button', { name: 'Submit' }).click();
    await expect.poll(() => page.locator('#scopes-error').textContent()).toBe('At least one scope is required');
    expect(await page.locator('#scopes').getAttribute('aria-invalid')).toBe('true');
    expect((await t.server.core.store.apps.list({ companyId: alpha.companyId })).total).toBe(before);
    await shoot('create-new-app-error');

    await page.getByLabel('Search scopes').fill('company.read');
    await page.getByLabel('company.read', { exact: true }).check();
    // Fixing the field clears its error and the summary line at once.
    await expect.poll(() => page.locator('#scopes-error').textContent()).toBe('');
    expect(await page.locator('#scopes').getAttribute('aria-invalid')).toBeNull();
    expect(await page.locator('.error-summary').count()).toBe(0);
    await page.getByLabel('Search scopes').fill('');
    await page.getByLabel('Enter Manually').fill('openid, expense.report.read');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await expect.poll(() => page.locator('.chips .chip').count()).toBe(3);
    await page.getByRole('button', { name: 'Submit' }).click();

    const dialog = page.getByRole('dialog', { name: 'App Credentials' });
    await dialog.waitFor();
    await expect.poll(() => dialog.textContent()).toContain('will not be shown again');
    await shoot('app-credentials', false);
    await dialog.getByRole('button', { name: 'Copy Client ID' }).click();
    created.clientId = await clipboard();
    await dialog.getByRole('button', { name: 'Copy Client Secret' }).click();
    created.clientSecret = await clipboard();
    expect(created.clientId).toBe(await dialog.getByLabel('Client ID', { exact: true }).inputValue());
    expect(created.clientSecret).toMatch(/^[0-9a-f-]{36}$/);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await heading(created.name).waitFor();
    const app = await t.server.core.store.apps.get(created.clientId);
    expect(app).toMatchObject({ stage: 'test', grants: ['password', 'refresh_token', 'client_credentials'], scopes: ['company.read', 'openid', 'expense.report.read'] });
  });

  it('generates a company request token and completes the password grant with the copied values', async () => {
    await page.getByRole('link', { name: 'Company Request Token' }).click();
    await heading('Company Request Token').waitFor();
    expect(await page.getByLabel('App ID').inputValue()).toBe(created.clientId);
    await page.getByRole('button', { name: 'Submit' }).click();
    const result = page.locator('#request-token-result');
    await result.waitFor();
    await result.getByRole('button', { name: 'Copy Company UUID' }).click();
    const companyUUID = await clipboard();
    await result.getByRole('button', { name: 'Copy Company Request Token' }).click();
    const requestToken = await clipboard();
    expect(companyUUID).toBe(alpha.companyId);
    expect(requestToken).toMatch(/^at-[a-z0-9]{30}$/);
    const curl = await page.locator('#curl-command').textContent();
    for (const value of [created.clientId, companyUUID, requestToken, 'credtype=authtoken', 'grant_type=password']) expect(curl).toContain(value);
    expect(curl).not.toContain(created.clientSecret);
    await shoot('company-request-token');

    const answer = await postToken(t.url, {
      grant_type: 'password', credtype: 'authtoken', client_id: created.clientId, client_secret: created.clientSecret,
      username: companyUUID, password: requestToken,
    });
    expect(answer.status).toBe(200);
    expect(answer.body.scope).toBe('company.read openid expense.report.read');
    refreshToken = answer.body.refresh_token;
  });

  it('rotates a client secret; the old one is refused once deactivated', async () => {
    await page.goto(`${t.url}/admin#/apps/${created.clientId}`);
    await heading(created.name).waitFor();
    await page.locator('tr[data-secret]').first().waitFor();
    await expect.poll(() => page.locator('section').filter({ hasText: 'App Details' }).textContent()).toMatch(/Last Used.*(AM|PM)/);
    await shoot('app-details');
    const oldSecretRow = page.locator('tr[data-secret]').first();

    await page.getByRole('button', { name: 'Generate New Secret' }).click();
    const dialog = page.getByRole('dialog', { name: 'New Client Secret' });
    await dialog.waitFor();
    const newSecret = await dialog.getByLabel('Client Secret', { exact: true }).inputValue();
    const newSecretId = await dialog.getByLabel('Secret ID', { exact: true }).inputValue();
    await dialog.getByRole('button', { name: 'Done' }).click();
    const newRow = page.locator(`tr[data-secret="${newSecretId}"]`);
    await expect.poll(() => newRow.textContent()).toContain('Inactive');
    await newRow.getByRole('button', { name: 'Activate' }).click();
    await expect.poll(() => newRow.textContent()).toContain('Active');
    expect((await postToken(t.url, { grant_type: 'client_credentials', client_id: created.clientId, client_secret: newSecret })).status).toBe(200);

    await oldSecretRow.getByRole('button', { name: 'Deactivate' }).click();
    await page.getByRole('dialog', { name: 'Deactivate secret?' }).getByRole('button', { name: 'Deactivate' }).click();
    await expect.poll(() => page.locator('tr[data-secret]').first().textContent()).toContain('Inactive');
    await shoot('client-secrets');
    const refused = await postToken(t.url, { grant_type: 'client_credentials', client_id: created.clientId, client_secret: created.clientSecret });
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe(64);
    created.clientSecret = newSecret;
  });

  it('revokes a connection; its refresh token is refused', async () => {
    await page.getByRole('link', { name: 'Connections' }).click();
    await heading(`Connections of ${created.name}`).waitFor();
    const row = page.locator('tr[data-connection]').first();
    await expect.poll(() => row.textContent()).toContain(alpha.companyName);
    await shoot('connections');
    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog', { name: 'Revoke connection?' }).getByRole('button', { name: 'Revoke' }).click();
    await expect.poll(() => page.locator('tr[data-connection]').first().textContent()).toContain('Revoked');
    const refresh = await postToken(t.url, { grant_type: 'refresh_token', client_id: created.clientId, client_secret: created.clientSecret, refresh_token: refreshToken });
    expect(refresh.status).toBe(400);
    expect(refresh.body.code).toBe(108);
  });

  it('shows the audit log with who, what, outcome and correlation id, filtered by action', async () => {
    await page.goto(`${t.url}/admin#/audit`);
    await heading('Audit Log').waitFor();
    await page.getByLabel('Action').fill('connection.revoked');
    await page.getByRole('button', { name: 'Apply Filters' }).click();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    const row = await page.locator('tbody tr').first().textContent();
    expect(row).toContain('alpha-admin');
    expect(row).toContain('connection.revoked');
    await page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => page.locator('tbody tr').count()).toBeGreaterThan(5);
    await shoot('audit-log');
  });

  it('shows the users of the company', async () => {
    await page.goto(`${t.url}/admin#/users`);
    await heading('Users').waitFor();
    await page.locator('tr[data-user="alpha-admin"]').waitFor();
    expect(await page.locator('tr[data-user]').count()).toBe(1);
    await shoot('users');
  });

  it('resets a user\'s password: a short one is refused, then the new one works and the old one not', async () => {
    await createUser(t.server.core, { companyId: alpha.companyId, loginId: 'alpha-clerk', password: 'the old password' });
    await page.goto(`${t.url}/admin#/`);
    await heading('Authentication Admin').waitFor();
    await page.goto(`${t.url}/admin#/users`);
    await heading('Users').waitFor();
    const reset = page.getByRole('button', { name: 'Reset password of alpha-clerk' });
    const dialog = page.getByRole('dialog', { name: 'Reset password of alpha-clerk' });
    await reset.click();
    await dialog.getByLabel('New Password').fill('short');
    await dialog.getByRole('button', { name: 'Set Password' }).click();
    await expect.poll(() => page.locator('main [role=alert]').textContent()).toMatch(/at least 8 characters/);
    await reset.click();
    await dialog.getByLabel('New Password').fill('the new password');
    await dialog.getByRole('button', { name: 'Set Password' }).click();
    await expect.poll(() => page.locator('#toast').textContent()).toBe('Password of alpha-clerk reset');
    const grant = (password: string) => postToken(t.url, {
      grant_type: 'password', client_id: alpha.app.clientId, client_secret: alpha.app.clientSecret, username: 'alpha-clerk', password,
    });
    expect((await grant('the new password')).status).toBe(200);
    expect((await grant('the old password')).body.code).toBe(5);
  });

  it('shows nothing of another company: its app, connections and request token answer "not found"', async () => {
    for (const path of [`/apps/${bravo.app.clientId}`, `/apps/${bravo.app.clientId}/edit`, `/apps/${bravo.app.clientId}/connections`]) {
      // A new document each time: a change of the hash alone would leave the previous page's
      // "Not found" heading in place while the next route is still loading.
      await page.goto('about:blank');
      await page.goto(`${t.url}/admin#${path}`);
      await heading('Not found').waitFor();
      const text = await page.locator('main').textContent();
      expect(text).toContain('app not found');
      expect(text).not.toContain('Bravo');
    }
    await shoot('isolation-not-found');
    await page.goto(`${t.url}/admin#/request-token?appId=${bravo.app.clientId}`);
    await heading('Company Request Token').waitFor();
    await page.getByRole('button', { name: 'Submit' }).click();
    await expect.poll(() => page.locator('#app-id-error').textContent()).toMatch(/no app of your company has this App ID/i);
    expect(await page.locator('#request-token-result').count()).toBe(0);
    await page.goto(`${t.url}/admin#/apps?filter=${bravo.app.clientId}`);
    await heading('Application List').waitFor();
    await expect.poll(() => page.locator('tbody').textContent()).toContain('No app matches the filter.');
  });

  it('is readable in a narrow window', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${t.url}/admin#/apps`);
    await page.locator('tbody tr').first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shoot('application-list-narrow');
    await page.goto(`${t.url}/admin#/apps/${created.clientId}`);
    await heading(created.name).waitFor();
    await page.locator('tr[data-secret]').first().waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await shoot('app-details-narrow');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('signs out; the old session cookie opens nothing', async () => {
    const [cookie] = (await context.cookies(`${t.url}/admin`)).filter((c) => c.name === 'tessera_admin');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin' });
    await page.getByRole('button', { name: 'Sign Out' }).click();
    await heading('Sign in').waitFor();
    await expect.poll(() => page.locator('main').textContent()).toContain('You have signed out.');
    const answer = await fetch(`${t.url}/admin/api/apps`, { headers: { cookie: `tessera_admin=${cookie!.value}` } });
    expect(answer.status).toBe(401);
    expect(problems).toEqual([]);
  });
});
