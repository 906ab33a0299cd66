/**
 * Storage contract: admin console sessions (docs/architecture.md "Storage": a touch is one conditional
 * update, so a session past its idle or absolute end can never be revived).
 */
import { describe, expect, it } from 'vitest';
import { aSession, MINUTE, seedUser, T0, type StoreOf } from './fixtures.js';

export function sessionsContract(store: StoreOf): void {
  describe('admin sessions', () => {
    it('touches a live session and answers it, every field, as seen now', async () => {
      const user = await seedUser(store());
      const session = aSession(user.id, user.companyId, { createdAt: T0 - 5, lastSeenAt: T0, expiresAt: T0 + 60 * MINUTE });
      await store().sessions.create(session);
      expect(await store().sessions.touch(session.digest, T0 + MINUTE, T0 - 30 * MINUTE)).toEqual({ ...session, lastSeenAt: T0 + MINUTE });
      expect(await store().sessions.touch('no-such-session', T0, T0 - MINUTE)).toBeUndefined();
    });

    it('never moves the last-seen time backwards', async () => {
      const user = await seedUser(store());
      const session = aSession(user.id, user.companyId, { lastSeenAt: T0 + 10 * MINUTE });
      await store().sessions.create(session);
      expect(await store().sessions.touch(session.digest, T0 + 5 * MINUTE, T0 - 30 * MINUTE)).toEqual(session);
    });

    it('does not touch a session at or past its end, or idle since the cut-off', async () => {
      const user = await seedUser(store());
      const ending = aSession(user.id, user.companyId, { expiresAt: T0 + MINUTE });
      const idle = aSession(user.id, user.companyId, { lastSeenAt: T0 });
      await store().sessions.create(ending);
      await store().sessions.create(idle);
      expect(await store().sessions.touch(ending.digest, T0 + MINUTE, T0 - 30 * MINUTE)).toBeUndefined();
      expect(await store().sessions.touch(idle.digest, T0 + 30 * MINUTE, T0)).toBeUndefined();
      expect(await store().sessions.touch(idle.digest, T0 + 30 * MINUTE, T0 - 1)).toEqual({ ...idle, lastSeenAt: T0 + 30 * MINUTE });
    });

    it('deletes a session once', async () => {
      const user = await seedUser(store());
      const session = aSession(user.id, user.companyId);
      await store().sessions.create(session);
      expect(await store().sessions.delete(session.digest)).toBe(true);
      expect(await store().sessions.delete(session.digest)).toBe(false);
      expect(await store().sessions.touch(session.digest, T0, T0 - MINUTE)).toBeUndefined();
    });

    it('deletes every session of one user and counts them', async () => {
      const user = await seedUser(store());
      const other = await seedUser(store());
      const mine = [aSession(user.id, user.companyId), aSession(user.id, user.companyId)];
      const theirs = aSession(other.id, other.companyId);
      for (const session of [...mine, theirs]) await store().sessions.create(session);
      expect(await store().sessions.deleteByUser(user.id)).toBe(2);
      expect(await store().sessions.deleteByUser(user.id)).toBe(0);
      expect(await store().sessions.touch(mine[0]!.digest, T0, T0 - MINUTE)).toBeUndefined();
      expect(await store().sessions.touch(theirs.digest, T0, T0 - MINUTE)).toEqual(theirs);
    });

    it('sweeps sessions past their end or idle since the cut-off, and counts them', async () => {
      const user = await seedUser(store());
      const now = T0 + 60 * MINUTE;
      const idleSince = now - 30 * MINUTE;
      const ended = aSession(user.id, user.companyId, { lastSeenAt: now - MINUTE, expiresAt: now });
      const idle = aSession(user.id, user.companyId, { lastSeenAt: idleSince, expiresAt: now + 60 * MINUTE });
      const live = aSession(user.id, user.companyId, { lastSeenAt: idleSince + 1, expiresAt: now + 1 });
      for (const session of [ended, idle, live]) await store().sessions.create(session);
      expect(await store().sessions.deleteExpired(now, idleSince)).toBe(2);
      expect(await store().sessions.deleteExpired(now, idleSince)).toBe(0);
      expect(await store().sessions.touch(live.digest, now, idleSince)).toEqual({ ...live, lastSeenAt: now });
    });
  });
}
