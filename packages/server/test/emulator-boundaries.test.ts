/**
 * Emulator mode's boundaries (docs/emulator.md): its unauthenticated routes exist only when the
 * `emulator` setting is on, answer only requests addressed to a loopback name (DNS rebinding), take only JSON (a web page can post a form to loopback without a preflight), and the clock
 * cannot be moved out of the range dates can be written in. A move back does not stretch what a
 * node remembers for a while (token standings, rate-limit windows) by the length of the move.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MovableClock } from 'tessera-server';
import { passwordForm, refreshForm } from './e2e-helpers.js';
import { makeApp, makeUser, postToken, startTestServer, type TestServer } from './helpers.js';

describe('a MovableClock injected without emulator mode', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ settings: { host: '0.0.0.0' }, clock: new MovableClock() });
  });
  afterAll(() => t.close());

  it('opens no /emulator/* route and no emulator on the handle', async () => {
    for (const path of ['/emulator/v0/clock', '/emulator/v0/faults']) {
      const response = await fetch(`${t.url}${path}`);
      expect(response.status, path).toBe(404);
    }
    const post = await fetch(`${t.url}/emulator/v0/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"advance":"181d"}' });
    expect(post.status).toBe(404);
    expect(t.server.emulator).toBeUndefined();
  });
});

describe('the emulator routes', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ settings: { emulator: true } });
  });
  afterAll(() => t.close());

  it('refuse a form post (a cross-site page can send one without a preflight) and do not move', async () => {
    const response = await fetch(`${t.url}/emulator/v0/clock`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'advance=181d',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 135 });
    expect(response.headers.get('concur-correlationid')).toBeTruthy();
    const text = await fetch(`${t.url}/emulator/v0/faults`, {
      method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"effect":{"type":"drop"}}',
    });
    expect(text.status).toBe(400);
    expect((await (await fetch(`${t.url}/emulator/v0/clock`)).json() as { offsetSeconds: number }).offsetSeconds).toBe(0);
    expect((await (await fetch(`${t.url}/emulator/v0/faults`)).json() as { faults: unknown[] }).faults).toEqual([]);
  });

  it('answer a request addressed to another host name (a rebound DNS name) as an unknown path', async () => {
    const send = (host: string, method = 'GET', body?: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(`${t.url}/emulator/v0/clock`, {
        method, headers: { host, ...(body ? { 'content-type': 'application/json' } : {}) },
      }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => { text += chunk.toString('utf8'); });
        response.on('end', () => resolve({ status: response.statusCode!, body: text }));
      });
      request.on('error', reject);
      request.end(body);
    });
    const port = new URL(t.url).port;
    const rebound = await send(`attacker.example:${port}`, 'POST', '{"advance":"181d"}');
    expect(rebound.status).toBe(404);
    expect(JSON.parse(rebound.body)).toMatchObject({ code: 404 });
    expect((await send(`attacker.example:${port}`)).status).toBe(404);
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`]) expect((await send(host)).status, host).toBe(200);
    expect(JSON.parse((await send(`localhost:${port}`)).body)).toMatchObject({ offsetSeconds: 0 });
  });

  it('keep the clock within a century of now however many moves add up', async () => {
    const move = (body: unknown) => fetch(`${t.url}/emulator/v0/clock`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    let last = 200;
    for (let i = 0; i < 3 && last === 200; i++) last = (await move({ advance: '36500d' })).status;
    expect(last).toBe(400);
    const clock = await (await fetch(`${t.url}/emulator/v0/clock`)).json() as { now: string; offsetSeconds: number };
    expect(Math.abs(clock.offsetSeconds)).toBeLessThanOrEqual(100 * 366 * 86400);
    expect((await fetch(`${t.url}/readyz`)).status).toBe(200);
    expect((await move({ reset: true })).status).toBe(200);
  });

  it('forget a token standing remembered before a move back: a revoked connection stops working', async () => {
    const move = (body: unknown) => fetch(`${t.url}/emulator/v0/clock`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    const app = await makeApp(t);
    await makeUser(t, 'standing@example.com', 'right password');
    const first = await postToken(t.url, passwordForm(app.clientId, app.clientSecret, 'standing@example.com', 'right password'));
    expect(first.status).toBe(200);
    const me = (accessToken: string) => fetch(`${t.url}/profile/v1/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    const refreshed = async () => {
      const answer = await postToken(t.url, refreshForm(app.clientId, app.clientSecret, first.body.refresh_token as string));
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      return answer.body.access_token as string;
    };
    // A day ahead, the node remembers that the connection stands (for tokenStatusCacheSeconds, 5 s).
    expect((await move({ advance: '1d' })).status).toBe(200);
    expect((await me(await refreshed())).status).toBe(200);
    expect((await move({ reset: true })).status).toBe(200);
    const token = await refreshed();
    expect((await fetch(`${t.url}/app-mgmt/v0/connections`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })).status).toBeLessThan(300);
    // Past the 5 s the cache may be stale by, the revoked connection's token is refused.
    expect((await move({ advance: '10s' })).status).toBe(200);
    expect((await me(token)).status).toBe(401);
    expect((await move({ reset: true })).status).toBe(200);
  });

  it('end a rate-limit window begun before a move back once its length has passed', async () => {
    const limited = await startTestServer({ settings: { emulator: true, rateLimitPerAddress: 2, rateLimitWindowSeconds: 60 } });
    try {
      const move = (body: unknown) => fetch(`${limited.url}/emulator/v0/clock`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
      });
      const app = await makeApp(limited);
      const appToken = async () => (await postToken(limited.url, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret })).status;
      expect((await move({ advance: '1d' })).status).toBe(200);
      expect([await appToken(), await appToken(), await appToken()]).toEqual([200, 200, 429]);
      expect((await move({ reset: true })).status).toBe(200);
      expect((await move({ advance: '61s' })).status).toBe(200);
      expect(await appToken()).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('answer a code 16 fault with a geolocation, as Concur always does: the one given, else this datacenter', async () => {
    const addFault = (effect: unknown) => fetch(`${t.url}/emulator/v0/faults`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ match: { path: '/readyz' }, effect, times: 1 }),
    });
    expect((await addFault({ type: 'concur-error', code: 16 })).status).toBe(201);
    const here = await fetch(`${t.url}/readyz`);
    expect(await here.json()).toMatchObject({ code: 16, geolocation: t.url });
    expect((await addFault({ type: 'concur-error', code: 16, geolocation: 'https://eu2.api.concursolutions.com/' })).status).toBe(201);
    expect(await (await fetch(`${t.url}/readyz`)).json()).toMatchObject({ code: 16, geolocation: 'https://eu2.api.concursolutions.com' });
    expect((await addFault({ type: 'concur-error', code: 16, geolocation: 'javascript:alert(1)' })).status).toBe(400);
    expect((await addFault({ type: 'concur-error', code: 16, geolocation: 'not a place' })).status).toBe(400);
  });

  it('end an audit window of held-back refusals begun before a move back', async () => {
    const bounded = await startTestServer({ settings: { emulator: true, auditRefusalsPerAddress: 2, rateLimitPerAddress: 0 } });
    try {
      const move = (body: unknown) => fetch(`${bounded.url}/emulator/v0/clock`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
      });
      const refused = async () => expect((await postToken(bounded.url, { grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'nothing' })).status).toBe(401);
      const written = async () => {
        await bounded.server.core.audit.flush();
        return (await bounded.server.core.store.audit.query({ action: 'token.refused', limit: 50 })).items.length;
      };
      // Two events per address and window: the move, then one refusal; the second is held back.
      expect((await move({ advance: '1d' })).status).toBe(200);
      await refused();
      await refused();
      expect(await written()).toBe(1);
      // Back at the real time a new window begins: the reset, then a refusal, are written.
      expect((await move({ reset: true })).status).toBe(200);
      await refused();
      expect(await written()).toBe(2);
    } finally {
      await bounded.close();
    }
  });
});
