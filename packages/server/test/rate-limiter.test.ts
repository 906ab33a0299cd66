/**
 * The rate-limit counters: the same fixed-window behaviour from the in-process backend
 * and the Redis one, Redis shared between two limiters (two nodes), and the in-process one
 * bounded in memory.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CountersFull, ManualClock, MemoryRateLimiter, openRedisRateLimiter, type RateLimiter } from 'tessera-server';
import { redisProblem, skipWithoutServices, testRedisUrl } from './test-services.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The behaviour both backends share; `advance` moves time past a window (a clock, or real waiting). */
function counterBehaviour(open: () => Promise<{ limiter: RateLimiter; advance(ms: number): Promise<void> }>) {
  let limiter: RateLimiter;
  let advance: (ms: number) => Promise<void>;
  beforeAll(async () => {
    ({ limiter, advance } = await open());
  });
  afterAll(() => limiter.close());
  const key = () => `test:${randomUUID()}`;

  it('counts events in a window, reads without counting, and says when the window ends', async () => {
    const k = key();
    const hit = { key: k, windowMs: 60_000, add: 1 as const };
    expect((await limiter.update([hit]))[0]!.count).toBe(1);
    expect((await limiter.update([hit]))[0]!.count).toBe(2);
    const [read] = await limiter.update([{ ...hit, add: 0 }]);
    expect(read!.count).toBe(2);
    expect(read!.resetInMs).toBeGreaterThan(55_000);
    expect(read!.resetInMs).toBeLessThanOrEqual(60_000);
  });

  it('reads an unknown counter as zero without starting it', async () => {
    const k = key();
    expect(await limiter.update([{ key: k, windowMs: 1000, add: 0 }])).toEqual([{ count: 0, resetInMs: 0 }]);
    expect((await limiter.update([{ key: k, windowMs: 1000, add: 1 }]))[0]!.count).toBe(1);
  });

  it('updates several counters in one call, each in its own window, in order', async () => {
    const [a, b] = [key(), key()];
    await limiter.update([{ key: a, windowMs: 60_000, add: 1 }]);
    const states = await limiter.update([
      { key: a, windowMs: 60_000, add: 1 }, { key: b, windowMs: 30_000, add: 1 }, { key: a, windowMs: 60_000, add: 0 },
    ]);
    expect(states.map((s) => s.count)).toEqual([2, 1, 2]);
    expect(states[1]!.resetInMs).toBeLessThanOrEqual(30_000);
  });

  it('starts over when the window has passed', async () => {
    const k = key();
    for (let i = 0; i < 3; i++) await limiter.update([{ key: k, windowMs: 300, add: 1 }]);
    await advance(450);
    expect((await limiter.update([{ key: k, windowMs: 300, add: 0 }]))[0]!.count).toBe(0);
    expect((await limiter.update([{ key: k, windowMs: 300, add: 1 }]))[0]!.count).toBe(1);
  });

  it('forgets counters on reset', async () => {
    const k = key();
    await limiter.update([{ key: k, windowMs: 60_000, add: 1 }]);
    await limiter.reset([k]);
    expect((await limiter.update([{ key: k, windowMs: 60_000, add: 0 }]))[0]!.count).toBe(0);
  });

  it('loses no count under 200 concurrent updates', async () => {
    const k = key();
    const states = await Promise.all(Array.from({ length: 200 }, () => limiter.update([{ key: k, windowMs: 60_000, add: 1 }])));
    expect(states.map(([s]) => s!.count).sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });
}

describe('in-process counters', () => {
  const clock = new ManualClock();
  counterBehaviour(async () => ({
    limiter: new MemoryRateLimiter(clock),
    advance: async (ms) => clock.advance(ms),
  }));

  it('holds at most maxRequestKeys request counters, dropping expired ones first, then the oldest', async () => {
    const local = new ManualClock();
    const limiter = new MemoryRateLimiter(local, 100);
    for (let i = 0; i < 50; i++) await limiter.update([{ key: `req:short-${i}`, windowMs: 10, add: 1 }]);
    for (let i = 0; i < 50; i++) await limiter.update([{ key: `req:long-${i}`, windowMs: 60_000, add: 1 }]);
    local.advance(20);
    await limiter.update([{ key: 'req:one-more', windowMs: 60_000, add: 1 }]);
    expect(limiter.size).toBe(51);
    for (let i = 0; i < 1000; i++) await limiter.update([{ key: `req:spray-${i}`, windowMs: 60_000, add: 1 }]);
    expect(limiter.size).toBeLessThanOrEqual(100);
    expect((await limiter.update([{ key: 'req:spray-999', windowMs: 60_000, add: 0 }]))[0]!.count).toBe(1);
    expect((await limiter.update([{ key: 'req:long-0', windowMs: 60_000, add: 0 }]))[0]!.count).toBe(0);
  });

  it('never drops a failure counter or lock before its window ends: past maxGuardKeys it refuses (CountersFull), then makes room as windows end', async () => {
    const local = new ManualClock();
    const limiter = new MemoryRateLimiter(local, 10, 3);
    await limiter.update([{ key: 'lock:a', windowMs: 1_000, add: 1 }, { key: 'fail:b', windowMs: 60_000, add: 1 }]);
    for (let i = 0; i < 100; i++) await limiter.update([{ key: `req:spray-${i}`, windowMs: 60_000, add: 1 }]);
    expect((await limiter.update([{ key: 'lock:a', windowMs: 1_000, add: 0 }]))[0]!.count).toBe(1);
    await limiter.update([{ key: 'fail:c', windowMs: 60_000, add: 1 }]);
    // Full: neither counting on nor reading an absent counter; present ones still count.
    await expect(limiter.update([{ key: 'fail:d', windowMs: 60_000, add: 1 }])).rejects.toBeInstanceOf(CountersFull);
    const full = await limiter.update([{ key: 'req:x', windowMs: 60_000, add: 1 }, { key: 'fail:d', windowMs: 60_000, add: 0 }]).catch((e: unknown) => e);
    expect(full).toBeInstanceOf(CountersFull);
    expect((full as CountersFull).retryInMs).toBeGreaterThanOrEqual(1_000);
    expect((await limiter.update([{ key: 'fail:b', windowMs: 60_000, add: 1 }]))[0]!.count).toBe(2);
    local.advance(1_000);
    expect((await limiter.update([{ key: 'fail:d', windowMs: 60_000, add: 1 }]))[0]!.count).toBe(1);
  });
});

const redisMissing = await redisProblem();
const skipRedis = skipWithoutServices('Redis rate-limit counters', [redisMissing]);

describe.skipIf(skipRedis)('Redis counters', () => {
  const prefix = `tessera-test:${randomUUID()}:`;
  counterBehaviour(async () => ({
    limiter: await openRedisRateLimiter(testRedisUrl, { keyPrefix: prefix }),
    advance: sleep,
  }));

  it('are shared by two limiters on the same prefix (two nodes), and kept apart by another prefix', async () => {
    const [a, b] = await Promise.all([openRedisRateLimiter(testRedisUrl, { keyPrefix: prefix }), openRedisRateLimiter(testRedisUrl, { keyPrefix: prefix })]);
    const other = await openRedisRateLimiter(testRedisUrl, { keyPrefix: `${prefix}other:` });
    try {
      const k = `shared:${randomUUID()}`;
      await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).update([{ key: k, windowMs: 60_000, add: 1 }])));
      expect((await a.update([{ key: k, windowMs: 60_000, add: 0 }]))[0]!.count).toBe(50);
      expect((await other.update([{ key: k, windowMs: 60_000, add: 0 }]))[0]!.count).toBe(0);
    } finally {
      await Promise.all([a.close(), b.close(), other.close()]);
    }
  });

  it('refuses to start when Redis is unreachable, naming it without its password', async () => {
    await expect(openRedisRateLimiter('redis://:hunter2@127.0.0.1:1/0', { keyPrefix: prefix, connectTimeoutMs: 500 }))
      .rejects.toThrow(/Redis at redis:\/\/\*\*\*@127\.0\.0\.1:1\/0 is unreachable/);
  });
});
