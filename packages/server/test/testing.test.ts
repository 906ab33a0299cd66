/**
 * `tessera-server/testing` itself: what `startTessera()` seeds, its options, its clock, and that
 * `close()` leaves nothing behind (docs/six-months-in-a-minute.md). The integrator's view of it is
 * packages/client/test/integrator-suite.test.ts.
 */
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDuration, startTessera, type RunningTessera, type StartTesseraOptions } from 'tessera-server/testing';
import { postToken } from './helpers.js';

const running: RunningTessera[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.close();
});

async function tessera(options?: StartTesseraOptions) {
  const started = await startTessera(options);
  running.push(started);
  return started;
}

const convert = async (t: RunningTessera) => {
  const { companyUUID, requestToken } = await t.requestToken();
  return postToken(t.url, {
    grant_type: 'password', credtype: 'authtoken', client_id: t.app.clientId, client_secret: t.app.clientSecret, username: companyUUID, password: requestToken,
  });
};

describe('startTessera', () => {
  it('serves on loopback, seeded with a company, its administrator and an app; close() removes its data dir', async () => {
    const t = await startTessera();
    const dataDir = t.server.core.settings.dataDir;
    expect(existsSync(dataDir)).toBe(true);
    expect(new URL(t.url).hostname).toBe('127.0.0.1');
    expect(t.datacenters).toEqual({ us2: t.url });
    expect((await fetch(`${t.url}/readyz`)).status).toBe(200);

    const company = await t.server.core.store.companies.get(t.company.id);
    expect(company?.name).toBe(t.company.name);
    const admin = await t.server.core.store.users.findByLoginId(t.admin.loginId);
    expect(admin?.roles).toContain('Web Services Administrator');
    const app = await t.server.core.store.apps.get(t.app.clientId);
    expect(app?.grants).toEqual(expect.arrayContaining(['password', 'refresh_token', 'client_credentials']));

    const converted = await convert(t);
    expect(converted.status).toBe(200);
    const client = await postToken(t.url, { grant_type: 'client_credentials', client_id: t.app.clientId, client_secret: t.app.clientSecret });
    expect(client.status).toBe(200);

    await t.close();
    expect(existsSync(dataDir)).toBe(false);
    await expect(fetch(`${t.url}/readyz`)).rejects.toThrow();
  });

  it('each requestToken() replaces the previous one (docs/protocol.md Decision 3)', async () => {
    const t = await tessera();
    const first = await t.requestToken();
    const second = await t.requestToken();
    expect(second.requestToken).not.toBe(first.requestToken);
    const stale = await postToken(t.url, {
      grant_type: 'password', credtype: 'authtoken', client_id: t.app.clientId, client_secret: t.app.clientSecret, username: first.companyUUID, password: first.requestToken,
    });
    expect(stale.body.code).toBe(136);
  });

  it('seeds the users asked for, who sign in with the password grant', async () => {
    const t = await tessera({ users: [{ loginId: 'ana@example.test', password: 'correct horse battery' }] });
    expect(t.users).toHaveLength(1);
    const signIn = await postToken(t.url, {
      grant_type: 'password', client_id: t.app.clientId, client_secret: t.app.clientSecret, username: 'ana@example.test', password: 'correct horse battery',
    });
    expect(signIn.status).toBe(200);
    expect(signIn.body.refresh_token).toBeTruthy();
  });

  it('rotation: off by default (a refresh keeps the value), on when asked (a new value each time)', async () => {
    for (const rotation of [false, true]) {
      const t = await tessera(rotation ? { rotation } : {});
      const { body } = await convert(t);
      const refreshed = await postToken(t.url, {
        grant_type: 'refresh_token', client_id: t.app.clientId, client_secret: t.app.clientSecret, refresh_token: body.refresh_token,
      });
      expect(refreshed.status).toBe(200);
      expect(refreshed.body.refresh_token === body.refresh_token).toBe(!rotation);
    }
  });

  it('the clock moves the server: advance, set, reset; tokens carry the emulated time', async () => {
    const t = await tessera();
    const real = Date.now();
    expect(Math.abs(t.clock.now() - real)).toBeLessThan(5_000);
    const advanced = await t.clock.advance('181d');
    expect(advanced - real).toBeGreaterThanOrEqual(181 * 86_400_000);
    const { body } = await postToken(t.url, { grant_type: 'client_credentials', client_id: t.app.clientId, client_secret: t.app.clientSecret });
    const claims = JSON.parse(Buffer.from(String(body.access_token).split('.')[1]!, 'base64url').toString()) as { iat: number };
    expect(claims.iat * 1000).toBeGreaterThanOrEqual(advanced - 1000);

    expect(await t.clock.set('2030-01-01T00:00:00Z')).toBeGreaterThanOrEqual(Date.parse('2030-01-01T00:00:00Z'));
    expect(await t.clock.set(new Date('2029-06-01T00:00:00Z'))).toBeLessThan(Date.parse('2029-06-01T00:01:00Z'));
    expect(Math.abs(await t.clock.reset() - Date.now())).toBeLessThan(5_000);
    await expect(t.clock.set('not a date')).rejects.toThrow(RangeError);
  });

  it('durations: <n>s|m|h|d, ISO-8601, milliseconds; anything else is refused', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('61m')).toBe(61 * 60_000);
    expect(parseDuration('25h')).toBe(25 * 3_600_000);
    expect(parseDuration('181d')).toBe(181 * 86_400_000);
    expect(parseDuration('P181D')).toBe(181 * 86_400_000);
    expect(parseDuration('PT1H30M')).toBe(90 * 60_000);
    expect(parseDuration(1500)).toBe(1500);
    for (const bad of ['', '5', '5w', 'P', 'PT', 'soon']) expect(() => parseDuration(bad)).toThrow(RangeError);
  });

  it('two at once are independent', async () => {
    const [a, b] = await Promise.all([tessera(), tessera()]);
    expect(a!.url).not.toBe(b!.url);
    const fromA = await a!.requestToken();
    const onB = await postToken(b!.url, {
      grant_type: 'password', credtype: 'authtoken', client_id: a!.app.clientId, client_secret: a!.app.clientSecret, username: fromA.companyUUID, password: fromA.requestToken,
    });
    expect(onB.status).toBe(401);
  });
});
