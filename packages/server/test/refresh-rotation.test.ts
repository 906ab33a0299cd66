/**
 * docs/protocol.md Decision 8 through real HTTP: by default a refresh keeps the value and
 * slides; with `refreshRotation` each refresh returns a new value, the previous one keeps working
 * for `rotationGraceSeconds` (and gets a working token of the same family), and a replay after
 * the window revokes the whole family. In both modes 50 concurrent refreshes of one token all
 * succeed and leave a working token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from 'tessera-server';
import { convertRequestToken, makeApp, postToken, startTestServer, type TestServer } from './helpers.js';
import { DAY, expectConcurError, refreshForm, uuidPattern } from './e2e-helpers.js';

const grace = 60;

async function connectedApp(t: TestServer) {
  const app = await makeApp(t);
  const converted = await convertRequestToken(t, app.clientId, app.clientSecret);
  expect(converted.status).toBe(200);
  const refresh = (token: string, extra: Record<string, string> = {}) =>
    postToken(t.url, refreshForm(app.clientId, app.clientSecret, token, extra));
  return { app, first: converted.body.refresh_token as string, firstExpiry: converted.body.refresh_expires_in as number, refresh };
}

async function concurrentRefreshes(t: TestServer, count: number) {
  const { first, refresh } = await connectedApp(t);
  const answers = await Promise.all(Array.from({ length: count }, () => refresh(first)));
  return { first, refresh, answers };
}

describe('default: the same value, sliding', () => {
  const clock = new ManualClock();
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ clock });
  });
  afterAll(async () => t?.close());

  it('every refresh returns the same refresh token and moves its expiry forward', async () => {
    const { first, firstExpiry, refresh } = await connectedApp(t);
    let expiry = firstExpiry;
    for (let i = 1; i <= 3; i++) {
      clock.advance(7 * DAY);
      const res = await refresh(first);
      expect(res.status).toBe(200);
      expect(res.body.refresh_token).toBe(first);
      expect(res.body.refresh_expires_in).toBe(expiry + 7 * 24 * 3600);
      expiry = res.body.refresh_expires_in;
    }
  });

  it('commits nothing while the stored expiry is less than an hour behind, and answers the stored expiry', async () => {
    const { first, firstExpiry, refresh } = await connectedApp(t);
    const digest = t.server.core.serverKeys.digest(first);
    const stored = async () => (await t.server.core.store.connections.findRefresh(digest))!.connection;
    const before = await stored();
    clock.advance(59 * 60_000);
    const within = await refresh(first);
    expect(within.status).toBe(200);
    expect(within.body.refresh_expires_in).toBe(firstExpiry);
    expect(await stored()).toEqual(before);
    clock.advance(2 * 60_000);
    const past = await refresh(first);
    expect(past.body.refresh_expires_in).toBe(firstExpiry + 61 * 60);
    expect(await stored()).toEqual({ ...before, refreshExpiresAt: before.refreshExpiresAt + 61 * 60_000, lastUsedAt: clock.now() });
  });

  it('50 concurrent refreshes of one token all succeed with the same value, which keeps working', async () => {
    const { first, refresh, answers } = await concurrentRefreshes(t, 50);
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
    expect(new Set(answers.map((a) => a.body.refresh_token))).toEqual(new Set([first]));
    expect(new Set(answers.map((a) => a.body.access_token)).size).toBe(50);
    expect((await refresh(first)).status).toBe(200);
  });
});

describe('a short refresh lifetime: the expiry lags at most 1 % of it', () => {
  const clock = new ManualClock();
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ clock, settings: { refreshTokenTtl: 1000 } });
  });
  afterAll(async () => t?.close());

  it('a refresh 10 s later keeps the stored expiry, one 11 s later slides it', async () => {
    const { first, firstExpiry, refresh } = await connectedApp(t);
    clock.advance(10_000);
    expect((await refresh(first)).body.refresh_expires_in).toBe(firstExpiry);
    clock.advance(1_000);
    expect((await refresh(first)).body.refresh_expires_in).toBe(firstExpiry + 11);
  });
});

describe('settings.refreshRotation: a new value each time, a grace window, replay revokes the family', () => {
  const clock = new ManualClock();
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ clock, settings: { refreshRotation: true, rotationGraceSeconds: grace } });
  });
  afterAll(async () => t?.close());

  it('each refresh answers a new value and slides the expiry; the newest always works', async () => {
    const { first, firstExpiry, refresh } = await connectedApp(t);
    const seen = new Set([first]);
    let current = first;
    let expiry = firstExpiry;
    for (let i = 0; i < 4; i++) {
      clock.advance(DAY);
      const res = await refresh(current);
      expect(res.status).toBe(200);
      expect(res.body.refresh_token).toMatch(uuidPattern);
      expect(seen.has(res.body.refresh_token)).toBe(false);
      expect(res.body.refresh_expires_in).toBe(expiry + 24 * 3600);
      seen.add(res.body.refresh_token);
      current = res.body.refresh_token;
      expiry = res.body.refresh_expires_in;
    }
  });

  it('a rotation while the stored expiry is less than an hour behind keeps it, and answers it; past the hour it slides', async () => {
    const { app, first, firstExpiry, refresh } = await connectedApp(t);
    const stored = async () => (await t.server.core.store.connections.listByApp(app.clientId))[0]!;
    const before = await stored();
    clock.advance(59 * 60_000);
    const within = await refresh(first);
    expect(within.status).toBe(200);
    expect(within.body.refresh_token).not.toBe(first);
    expect(within.body.refresh_expires_in).toBe(firstExpiry);
    expect(await stored()).toMatchObject({ refreshExpiresAt: before.refreshExpiresAt, lastUsedAt: clock.now() });
    clock.advance(2 * 60_000);
    const past = await refresh(within.body.refresh_token);
    expect(past.status).toBe(200);
    expect(past.body.refresh_expires_in).toBe(firstExpiry + 61 * 60);
    expect((await stored()).refreshExpiresAt).toBe(before.refreshExpiresAt + 61 * 60_000);
  });

  it('the previous value works within the grace window and gets a working token of the same family', async () => {
    const { app, first, refresh } = await connectedApp(t);
    const rotated = await refresh(first);
    expect(rotated.body.refresh_token).not.toBe(first);

    clock.advance((grace - 5) * 1000);
    const late = await refresh(first);
    expect(late.status).toBe(200);
    expect(late.body.refresh_token).toMatch(uuidPattern);
    expect(late.body.refresh_token).not.toBe(first);
    expect(late.body.refresh_token).not.toBe(rotated.body.refresh_token);

    // one family: both branches belong to the same connection, and both work
    expect(await t.server.core.store.connections.listByApp(app.clientId)).toHaveLength(1);
    expect((await refresh(late.body.refresh_token)).status).toBe(200);
    expect((await refresh(rotated.body.refresh_token)).status).toBe(200);
  });

  it('a replay after the grace window revokes the family: even the newest value then gives 108', async () => {
    const { app, first, refresh } = await connectedApp(t);
    const second = await refresh(first);
    clock.advance(10_000);
    const third = await refresh(second.body.refresh_token);
    expect(third.status).toBe(200);

    clock.advance((grace + 1) * 1000);
    expectConcurError(await refresh(first), 108);
    expectConcurError(await refresh(third.body.refresh_token), 108);
    expectConcurError(await refresh(second.body.refresh_token), 108);
    const [connection] = await t.server.core.store.connections.listByApp(app.clientId);
    expect(connection!.revokedAt).not.toBeNull();

    await t.server.core.audit.flush();
    const events = await t.server.core.store.audit.query({ appId: app.clientId, action: 'connection.revoked' });
    expect(events.items).toHaveLength(1);
  });

  it('a refused refresh (54) neither rotates nor supersedes the token', async () => {
    const { first, refresh } = await connectedApp(t);
    expectConcurError(await refresh(first, { scope: 'receipts.read' }), 54);
    // Had the refused request superseded `first`, this use after the grace window would be a replay.
    clock.advance((grace + 30) * 1000);
    const res = await refresh(first);
    expect(res.status).toBe(200);
    expect(res.body.refresh_token).not.toBe(first);
  });

  it('50 concurrent refreshes of one token all succeed, each with a working token of the family', async () => {
    const { first, refresh, answers } = await concurrentRefreshes(t, 50);
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
    const values = answers.map((a) => a.body.refresh_token as string);
    expect(new Set(values).size).toBe(50);
    expect(values).not.toContain(first);
    // whichever answer a client stored last, it works
    const again = await Promise.all(values.map((value) => refresh(value)));
    expect(again.map((a) => a.status)).toEqual(Array(50).fill(200));
    // and the family was not revoked along the way: the newest values still work
    expect((await refresh(again[49]!.body.refresh_token)).status).toBe(200);
  });
});

describe('rotation: a refresh whose answer was lost, retried after the grace window', () => {
  const clock = new ManualClock();
  const shortGrace = 5;
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ clock, settings: { refreshRotation: true, rotationGraceSeconds: shortGrace } });
  });
  afterAll(async () => t?.close());

  it('committed but never answered (the process died), then retried after a 10 s outage: a working value, the connection kept', async () => {
    const { app, first, refresh } = await connectedApp(t);
    const lost = await refresh(first); // the store committed it; the client never saw the answer
    expect(lost.status).toBe(200);
    clock.advance(10_000);

    const retried = await refresh(first);
    expect(retried.status).toBe(200);
    expect(retried.body.refresh_token).toMatch(uuidPattern);
    expect([first, lost.body.refresh_token]).not.toContain(retried.body.refresh_token);
    clock.advance(60_000);
    const next = await refresh(retried.body.refresh_token);
    expect(next.status).toBe(200);
    clock.advance(60_000);
    expect((await refresh(next.body.refresh_token)).status).toBe(200);
    const [connection] = await t.server.core.store.connections.listByApp(app.clientId);
    expect(connection!.revokedAt).toBeNull();

    await t.server.core.audit.flush();
    expect((await t.server.core.store.audit.query({ appId: app.clientId, action: 'connection.refresh-retried' })).total).toBe(1);
    expect((await t.server.core.store.audit.query({ appId: app.clientId, action: 'connection.revoked' })).total).toBe(0);
  });

  it('the value the retry withdrew is refused and revokes the family (whoever held it, a thief has shown up)', async () => {
    const { app, first, refresh } = await connectedApp(t);
    const lost = await refresh(first);
    clock.advance(10_000);
    const retried = await refresh(first);
    expect(retried.status).toBe(200);
    expectConcurError(await refresh(lost.body.refresh_token), 108);
    expectConcurError(await refresh(retried.body.refresh_token), 108);
    const [connection] = await t.server.core.store.connections.listByApp(app.clientId);
    expect(connection!.revokedAt).not.toBeNull();
  });

  it('a replay after the successor was used still revokes the family at once', async () => {
    const { app, first, refresh } = await connectedApp(t);
    const second = await refresh(first);
    clock.advance(10_000);
    const third = await refresh(second.body.refresh_token);
    expect(third.status).toBe(200);
    clock.advance(10_000);
    expectConcurError(await refresh(first), 108);
    expectConcurError(await refresh(third.body.refresh_token), 108);
    const [connection] = await t.server.core.store.connections.listByApp(app.clientId);
    expect(connection!.revokedAt).not.toBeNull();
  });

  it('the trade-off: a stolen old value replayed before its rightful holder refreshes again works, until that holder\'s next refresh revokes the family', async () => {
    const { first, refresh } = await connectedApp(t);
    const rightful = await refresh(first); // the rightful client stores this and waits an hour
    clock.advance(10_000);
    const stolen = await refresh(first); // a thief replays the old value
    expect(stolen.status).toBe(200);
    clock.advance(3600_000);
    expectConcurError(await refresh(rightful.body.refresh_token), 108);
    expectConcurError(await refresh(stolen.body.refresh_token), 108);
  });
});
