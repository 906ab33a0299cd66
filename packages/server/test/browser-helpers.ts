/**
 * What every Chromium suite shares: Debian's Chromium at /usr/bin/chromium (skipped locally, loudly,
 * when it is missing; a failure under CI=true), the launch flags, the console-problem collection,
 * screenshots (test-results/screenshots/, or docs/screenshots/ with UPDATE_SCREENSHOTS=1) and the
 * admin console sign-in.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { adminPassword } from './admin-helpers.js';

export const chromiumPath = '/usr/bin/chromium';
const hasChromium = existsSync(chromiumPath);
const inCi = process.env.CI === 'true';
/** True when the suite must be skipped: no Chromium, and not under CI (where its absence is a failure). */
export const skipWithoutChromium = !hasChromium && !inCi;
// `UPDATE_SCREENSHOTS=1 npm test` refreshes the screenshots the docs show.
export const screenshots = fileURLToPath(new URL(process.env.UPDATE_SCREENSHOTS === '1' ? '../../../docs/screenshots/' : '../../../test-results/screenshots/', import.meta.url));

/** Says loudly that `what` is skipped when Chromium is missing locally: a silent skip would pass for green. */
export function warnIfSkipped(what: string): void {
  if (skipWithoutChromium) {
    console.warn(`\n\n*** ${what} SKIPPED: /usr/bin/chromium is missing. `
      + 'Install Debian\'s chromium: apt-get update && apt-get install -y chromium ***\n\n');
  }
}

export interface ChromiumSession {
  context: BrowserContext;
  page: Page;
  /** Page errors and console errors seen so far; suites expect it to stay empty. */
  problems: string[];
  close(): Promise<void>;
}

export interface LaunchOptions {
  viewport?: { width: number; height: number };
  /** Console errors matching this are not problems (the console logs the 4xx answers it shows as errors); null counts every one. */
  ignoreConsoleErrors?: RegExp | null;
  /** Collect console errors at all (only page errors when false). */
  collectConsoleErrors?: boolean;
}

/** Launches headless Chromium on a fresh profile, its first page ready and watched for problems. */
export async function launchChromium(options: LaunchOptions = {}): Promise<ChromiumSession> {
  if (!hasChromium) throw new Error('CI needs Debian\'s chromium at /usr/bin/chromium (apt-get install -y chromium)');
  mkdirSync(screenshots, { recursive: true });
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'tessera-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    viewport: options.viewport ?? { width: 1280, height: 800 },
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  if (options.collectConsoleErrors !== false) {
    const ignored = options.ignoreConsoleErrors === undefined ? /status of 40[0134]/ : options.ignoreConsoleErrors;
    page.on('console', (message) => {
      if (message.type() === 'error' && !(ignored && ignored.test(message.text()))) problems.push(`console: ${message.text()}`);
    });
  }
  return {
    context, page, problems,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves <screenshots>/<name>.png: the whole page unless `fullPage` is false. */
export async function saveScreenshot(page: Page, name: string, fullPage = true): Promise<void> {
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage });
}

/** Signs in to the admin console at `baseUrl` and waits for Authentication Admin. */
export async function signInToConsole(page: Page, baseUrl: string, loginId: string, password = adminPassword): Promise<void> {
  await page.goto(`${baseUrl}/admin`);
  await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
  await page.getByLabel('Login ID').fill(loginId);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign In' }).click();
  await page.getByRole('heading', { level: 1, name: 'Authentication Admin' }).waitFor();
}
