/**
 * `tessera-server/testing` itself: what `startTessera()` seeds, its options, its clock, and that
 * `close()` leaves nothing behind (docs/six-months-in-a-minute.md). The integrator's view of it is
 * packages/client/test/integrator-suite.test.ts.
 */
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startTessera, type RunningTessera, type StartTesseraOptions } from 'tessera-server/testing';
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
    const ready = await fetch(`${t.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ emulator: true });

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
    await expect(t.clock.set('not a date')).rejects.toThrow();
  });

  it('clock moves take the emulator API\'s durations and moments; anything else is refused and moves nothing', async () => {
    const t = await tessera();
    const day = 86_400_000;
    const at = (ms: number) => expect.closeTo(ms, -4); // within ~5 s: time keeps flowing between moves
    const start = t.clock.now();
    expect(await t.clock.advance('90s')).toEqual(at(start + 90_000));
    expect(await t.clock.advance('P1DT1H')).toEqual(at(start + 90_000 + day + 3_600_000));
    expect(await t.clock.advance(2 * day)).toEqual(at(start + 90_000 + 3 * day + 3_600_000));
    const before = t.clock.now();
    for (const bad of ['', '5', '5w', 'P', 'PT', 'soon', '-1d']) await expect(t.clock.advance(bad)).rejects.toThrow();
    await expect(t.clock.advance(1500)).rejects.toThrow(RangeError);
    await expect(t.clock.set('2027-06-01')).rejects.toThrow();
    expect(t.clock.now()).toEqual(at(before));
    const view = await (await fetch(`${t.url}/emulator/v0/clock`)).json() as { now: string };
    expect(Date.parse(view.now)).toEqual(at(before));
  });

  it('faults: added, listed and cleared as over the emulator API, and they fire', async () => {
    const t = await tessera();
    const rule = await t.faults.add({ match: { path: '/profile/v1/me' }, effect: { type: 'concur-error', code: 108 }, times: 2 });
    expect(rule).toMatchObject({ id: expect.any(String), remaining: 2 });
    const overHttp = await (await fetch(`${t.url}/emulator/v0/faults`)).json() as { faults: Array<{ id: string }> };
    expect(overHttp.faults.map((fault) => fault.id)).toEqual([rule.id]);
    const faulted = await fetch(`${t.url}/profile/v1/me`);
    expect((await faulted.json() as { code: number }).code).toBe(108);
    expect((await t.faults.list())[0]?.remaining).toBe(1);
    await expect(t.faults.add({ effect: { type: 'http-status', status: 200 } } as never)).rejects.toThrow();
    await expect(t.faults.clear('no-such-rule')).rejects.toThrow(RangeError);
    await t.faults.clear(rule.id);
    expect(await t.faults.list()).toEqual([]);
    await t.faults.add({ effect: { type: 'delay', ms: 1 } });
    await t.faults.clear();
    expect(await t.faults.list()).toEqual([]);
  });

  it('several datacenters: a listener each, and the company homed where asked', async () => {
    const t = await tessera({ datacenters: ['us2', 'eu2'], company: { datacenter: 'eu2' }, users: [{ loginId: 'ana@example.test', password: 'correct horse battery' }] });
    expect(Object.keys(t.datacenters)).toEqual(['us2', 'eu2']);
    expect(t.url).toBe(t.datacenters.us2);
    expect(t.company.datacenter).toBe('eu2');
    expect(t.users[0]?.datacenter).toBe('eu2');
    const onUs2 = await postToken(t.datacenters.us2!, {
      grant_type: 'password', client_id: t.app.clientId, client_secret: t.app.clientSecret, username: 'ana@example.test', password: 'correct horse battery',
    });
    expect(onUs2.body).toMatchObject({ code: 16, geolocation: t.datacenters.eu2 });
    await expect(startTessera({ datacenters: ['us2'], company: { datacenter: 'eu2' } })).rejects.toThrow(RangeError);
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
