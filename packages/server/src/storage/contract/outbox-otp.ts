/**
 * Storage contract: one-time passwords and the mail outbox (docs/protocol.md §5, Decision 4). The
 * open-OTP limit per handle and single use are atomic: concurrent callers never exceed them.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { OneTimePassword, OutboxMessage } from '../types.js';
import { aCompany, aUser, MINUTE, seedApp, T0, type StoreOf } from './fixtures.js';

const anOtp = (appId: string, userId: string, companyId: string, over: Partial<OneTimePassword> = {}): OneTimePassword => ({
  digest: `otp-${randomUUID()}`, appId, userId, companyId, handle: 'pat@acme.example', factsDigest: `facts-${randomUUID()}`,
  createdAt: T0, expiresAt: T0 + 15 * MINUTE, usedAt: null, ...over,
});

const aMessage = (companyId: string, over: Partial<OutboxMessage> = {}): OutboxMessage => ({
  id: randomUUID(), companyId, to: 'pat@acme.example', subject: 'Your one-time password for Expense Sync',
  text: 'Your one-time password is dd-0123456789abcdefghijklmnopqrst', createdAt: T0, ...over,
});

export function outboxOtpContract(store: StoreOf): void {
  async function seedUser() {
    const { company, app } = await seedApp(store());
    const user = aUser(company.id, { email: 'Pat.Doe@Acme.example' });
    await store().users.create(user);
    return { company, app, user };
  }

  describe('users by email', () => {
    it('finds users by their email folded in ASCII, bounded, by id', async () => {
      const { company, user } = await seedUser();
      const twin = aUser(company.id, { email: 'pat.doe@acme.EXAMPLE' });
      await store().users.create(twin);
      await store().users.create(aUser(company.id, { email: 'other@acme.example' }));
      await store().users.create(aUser(company.id, { email: null }));
      const found = await store().users.findByEmail('pat.doe@acme.example', 5);
      expect(found.map((u) => u.id)).toEqual([user.id, twin.id].sort());
      expect(found.find((u) => u.id === user.id)).toEqual(user);
      expect(await store().users.findByEmail('pat.doe@acme.example', 1)).toHaveLength(1);
      expect(await store().users.findByEmail('nobody@acme.example', 5)).toEqual([]);
    });
  });

  describe('one-time passwords', () => {
    it('stores an OTP with every field and finds it', async () => {
      const { company, app, user } = await seedUser();
      const otp = anOtp(app.id, user.id, company.id);
      expect(await store().otps.add(otp, 5, T0)).toBe('added');
      expect(await store().otps.find(otp.digest)).toEqual(otp);
      expect(await store().otps.find('no-such-digest')).toBeUndefined();
    });

    it('consumes an OTP once, and not at or after its expiry', async () => {
      const { company, app, user } = await seedUser();
      const otp = anOtp(app.id, user.id, company.id);
      const late = anOtp(app.id, user.id, company.id);
      await store().otps.add(otp, 5, T0);
      await store().otps.add(late, 5, T0);
      expect(await store().otps.consume(otp.digest, T0 + MINUTE)).toEqual({ ...otp, usedAt: T0 + MINUTE });
      expect(await store().otps.consume(otp.digest, T0 + MINUTE)).toBeUndefined();
      expect(await store().otps.consume(late.digest, late.expiresAt)).toBeUndefined();
      expect(await store().otps.consume(late.digest, late.expiresAt - 1)).toMatchObject({ usedAt: late.expiresAt - 1 });
      expect(await store().otps.consume('no-such-digest', T0)).toBeUndefined();
    });

    it('refuses the OTP past maxOpen open ones of its handle; used and expired ones and other handles do not count', async () => {
      const { company, app, user } = await seedUser();
      const open = Array.from({ length: 3 }, () => anOtp(app.id, user.id, company.id));
      for (const otp of open) expect(await store().otps.add(otp, 3, T0)).toBe('added');
      expect(await store().otps.add(anOtp(app.id, user.id, company.id), 3, T0)).toBe('limit');
      expect(await store().otps.add(anOtp(app.id, user.id, company.id, { handle: 'someone@acme.example' }), 3, T0)).toBe('added');
      await store().otps.consume(open[0]!.digest, T0 + 1);
      expect(await store().otps.add(anOtp(app.id, user.id, company.id), 3, T0 + 1)).toBe('added');
      expect(await store().otps.add(anOtp(app.id, user.id, company.id), 3, T0 + 1)).toBe('limit');
      // At the others' expiry they no longer count.
      expect(await store().otps.add(anOtp(app.id, user.id, company.id, { expiresAt: T0 + 30 * MINUTE }), 3, T0 + 15 * MINUTE)).toBe('added');
    });

    it('lets exactly maxOpen of 30 concurrent additions for one handle through', async () => {
      const { company, app, user } = await seedUser();
      const outcomes = await Promise.all(Array.from({ length: 30 }, () => store().otps.add(anOtp(app.id, user.id, company.id), 5, T0)));
      expect(outcomes.filter((o) => o === 'added')).toHaveLength(5);
    });

    it('lets exactly one of 20 concurrent uses of one OTP through', async () => {
      const { company, app, user } = await seedUser();
      const otp = anOtp(app.id, user.id, company.id);
      await store().otps.add(otp, 5, T0);
      const used = await Promise.all(Array.from({ length: 20 }, () => store().otps.consume(otp.digest, T0 + 1)));
      expect(used.filter((u) => u !== undefined)).toHaveLength(1);
    });

    it('deletes one OTP, and sweeps used and expired ones', async () => {
      const { company, app, user } = await seedUser();
      const [dropped, used, expired, open] = Array.from({ length: 4 }, (_, i) => anOtp(app.id, user.id, company.id, { expiresAt: T0 + (i + 1) * MINUTE }));
      for (const otp of [dropped!, used!, expired!, open!]) await store().otps.add(otp, 5, T0);
      expect(await store().otps.delete(dropped!.digest)).toBe(true);
      expect(await store().otps.delete(dropped!.digest)).toBe(false);
      await store().otps.consume(used!.digest, T0);
      expect(await store().otps.deleteEnded(expired!.expiresAt)).toBe(2);
      expect(await store().otps.find(open!.digest)).toEqual(open);
      expect(await store().otps.find(used!.digest)).toBeUndefined();
      expect(await store().otps.deleteEnded(expired!.expiresAt)).toBe(0);
    });
  });

  describe('outbox', () => {
    it('lists a company\'s messages newest first with every field, bounded, and no other company\'s', async () => {
      const { company } = await seedApp(store());
      const other = aCompany();
      await store().companies.create(other);
      const first = aMessage(company.id, { createdAt: T0 });
      const second = aMessage(company.id, { createdAt: T0 + 1, to: 'sam@acme.example' });
      await store().outbox.add(first);
      await store().outbox.add(second);
      await store().outbox.add(aMessage(other.id, { createdAt: T0 + 2 }));
      expect(await store().outbox.listByCompany(company.id, 10)).toEqual([second, first]);
      expect(await store().outbox.listByCompany(company.id, 1)).toEqual([second]);
      expect(await store().outbox.listByCompany(randomUUID(), 10)).toEqual([]);
    });

    it('deletes the oldest messages before a time, in batches', async () => {
      const { company } = await seedApp(store());
      const messages = [0, 1, 2, 3].map((i) => aMessage(company.id, { createdAt: T0 + i }));
      for (const m of messages) await store().outbox.add(m);
      expect(await store().outbox.deleteBefore(T0 + 3, 2)).toBe(2);
      expect(await store().outbox.deleteBefore(T0 + 3, 2)).toBe(1);
      expect(await store().outbox.listByCompany(company.id, 10)).toEqual([messages[3]]);
    });
  });
}
