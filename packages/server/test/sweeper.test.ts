/**
 * The sweeper: expired request tokens, the values of revoked and expired connections,
 * old superseded values, old connections, idle sessions and old audit events go; unused apps are
 * deactivated (Decision 7) ahead of any client calling; one node sweeps at a time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, type SweepReport } from 'tessera-server';
import { AdminClient, makeAdmin } from './admin-helpers.js';
import { DAY, expectConcurError, refreshForm } from './e2e-helpers.js';
import { convertRequestToken, makeApp, postToken, startTestServer, type TestServer } from './helpers.js';

const nothing: SweepReport = {
  requestTokens: 0, authorizationCodes: 0, refreshTokensOfEnded: 0, supersededRefreshTokens: 0, connections: 0, sessions: 0, auditEvents: 0,
  signingKeys: 0, appsDeactivated: 0, otps: 0, outboxMessages: 0,
};

describe('the sweeper', () => {
  const start = Date.parse('2026-05-01T00:00:00Z');
  const clock = new ManualClock(start);
  const at = (days: number) => clock.set(start + days * DAY);
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({
      clock,
      settings: {
        refreshRotation: true, rotationGraceSeconds: 60, refreshTokenTtl: 90 * 86400, auditRetentionDays: 30,
        endedConnectionRetentionDays: 7, appInactivityDays: 60, keyRotationDays: 0,
      },
    });
    await makeAdmin(t, 'sweep-admin');
  });
  afterAll(() => t.close());

  it('deletes what has ended, keeps what still works, and deactivates unused apps', async () => {
    const kept = await makeApp(t, { name: 'Kept' });
    const dropped = await makeApp(t, { name: 'Dropped' });
    const refresh = async (token: string) => {
      const answer = await postToken(t.url, refreshForm(kept.clientId, kept.clientSecret, token));
      expect(answer.status).toBe(200);
      return answer.body.refresh_token as string;
    };

    // Day 0: a connection refreshed three times (three superseded values), one revoked, a console session.
    const first = (await convertRequestToken(t, kept.clientId, kept.clientSecret)).body.refresh_token as string;
    const superseded = [first];
    superseded.push(await refresh(first));
    superseded.push(await refresh(superseded[1]!));
    let current = await refresh(superseded[2]!);
    const revoked = await convertRequestToken(t, dropped.clientId, dropped.clientSecret);
    const [revokedConnection] = await t.server.core.store.connections.listByApp(dropped.clientId);
    await t.server.core.store.connections.revoke(revokedConnection!.id, clock.now());
    expect((await new AdminClient(t.url).signIn('sweep-admin')).status).toBe(200);

    at(2);
    expect(await t.server.maintenance.runSweeperTurn()).toEqual({
      ...nothing, requestTokens: 2, refreshTokensOfEnded: 1, sessions: 1,
    });
    expectConcurError(await postToken(t.url, refreshForm(dropped.clientId, dropped.clientSecret, revoked.body.refresh_token)), 108);
    current = await refresh(current);

    at(50);
    current = await refresh(current);
    await t.server.core.audit.flush();
    const day0Events = (await t.server.core.store.audit.query({ until: start + 20 * DAY })).total;
    expect(day0Events).toBeGreaterThanOrEqual(7);
    const day50 = await t.server.maintenance.runSweeperTurn();
    expect(day50).toEqual({ ...nothing, connections: 1, auditEvents: day0Events });
    expect(await t.server.core.store.connections.get(revokedConnection!.id)).toBeUndefined();
    expect((await t.server.core.store.audit.query({ until: start + 20 * DAY })).total).toBe(0);

    at(61);
    expect(await t.server.maintenance.runSweeperTurn()).toEqual({ ...nothing, appsDeactivated: 1 });
    expect((await t.server.core.store.apps.get(dropped.clientId))!.enabled).toBe(false);
    await t.server.core.audit.flush();
    expect((await t.server.core.store.audit.query({ action: 'app.deactivated', appId: dropped.clientId })).items[0])
      .toMatchObject({ actorType: 'system', detail: { reason: 'inactivity', days: 60 } });
    const admin = new AdminClient(t.url);
    await admin.signIn('sweep-admin');
    expect((await admin.get(`/apps/${dropped.clientId}`)).body).toMatchObject({ enabled: false, inactivity: { deactivatesAt: null } });
    expect((await admin.get(`/apps/${kept.clientId}`)).body).toMatchObject({
      enabled: true, inactivity: { deactivatesAt: new Date(start + 110 * DAY).toISOString() },
    });

    // Day 91: the day-0 superseded values are older than refreshTokenTtl: gone. Replaying one is now
    // an unknown token (108) that no longer revokes the family; the current value still works.
    at(91);
    expect(await t.server.maintenance.runSweeperTurn()).toMatchObject({ supersededRefreshTokens: 3, sessions: 1 });
    for (const old of superseded) {
      expectConcurError(await postToken(t.url, refreshForm(kept.clientId, kept.clientSecret, old)), 108);
    }
    await refresh(current);
  });

  it('skips its turn while another node holds the sweeper lock', async () => {
    let release!: () => void;
    const other = t.server.core.store.locks.tryWithLock('sweeper', () => new Promise<void>((resolve) => {
      release = resolve;
    }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await t.server.maintenance.runSweeperTurn()).toBeUndefined();
    release();
    expect((await other).acquired).toBe(true);
    expect(await t.server.maintenance.runSweeperTurn()).toBeDefined();
  });
});
