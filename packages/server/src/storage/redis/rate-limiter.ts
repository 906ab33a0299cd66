/**
 * The Redis backend of the rate-limit counters, shared by every node (`redisUrl`). Each update
 * is one Lua script: `INCRBY` and, for a new window, `PEXPIRE`, so concurrent nodes never lose a
 * count and a window always ends. `ioredis` is loaded only when Redis is configured.
 *
 * The script touches several keys at once, so it needs one Redis server (or a primary), not
 * Redis Cluster.
 */
import type { Redis } from 'ioredis';
import type { CounterState, CounterUpdate, RateLimiter } from '../../core/rate-limiter.js';

/** KEYS: the counters. ARGV: per key, the window (ms) and the amount to add (0 reads only). */
const updateScript = `
local out = {}
for i = 1, #KEYS do
  local window = tonumber(ARGV[2 * i - 1])
  local add = tonumber(ARGV[2 * i])
  local count
  local ttl
  if add > 0 then
    count = redis.call('INCRBY', KEYS[i], add)
    ttl = redis.call('PTTL', KEYS[i])
    if ttl < 0 then
      redis.call('PEXPIRE', KEYS[i], window)
      ttl = window
    end
  else
    count = tonumber(redis.call('GET', KEYS[i]) or '0')
    ttl = redis.call('PTTL', KEYS[i])
    if ttl < 0 then ttl = 0 end
  end
  out[#out + 1] = count
  out[#out + 1] = ttl
end
return out
`;

interface WithUpdateCommand {
  tesseraCounters(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<number[]>;
}

export interface RedisRateLimiterOptions {
  /** Prepended to every key (the `redisKeyPrefix` setting). */
  keyPrefix: string;
  /** How long one command may take before it fails, ms (default 1000). */
  commandTimeoutMs?: number;
  /** How long the first connection may take, ms (default 5000). */
  connectTimeoutMs?: number;
}

/**
 * Connects to Redis at `url` and answers the limiter; throws when Redis cannot be reached at
 * start, so a misconfigured node does not start. Later outages make `update` reject at once
 * (no offline queue): the caller decides what that means.
 */
export async function openRedisRateLimiter(url: string, options: RedisRateLimiterOptions): Promise<RateLimiter> {
  const { Redis: RedisClient } = await import('ioredis');
  const redis = new RedisClient(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs ?? 1000,
    connectTimeout: options.connectTimeoutMs ?? 5000,
    connectionName: 'tessera',
  });
  // Without a listener a connection error would be an unhandled 'error' event; ioredis reconnects by itself.
  redis.on('error', () => undefined);
  redis.defineCommand('tesseraCounters', { lua: updateScript });
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new Error(`Redis at ${redactUrl(url)} is unreachable: ${(error as Error).message}`);
  }
  return new RedisRateLimiter(redis, options.keyPrefix);
}

/** The URL without its password, for messages. */
export const redactUrl = (url: string): string => url.replace(/\/\/([^@/]*)@/, '//***@');

class RedisRateLimiter implements RateLimiter {
  readonly kind = 'redis' as const;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async update(updates: readonly CounterUpdate[]): Promise<CounterState[]> {
    if (updates.length === 0) return [];
    const keys = updates.map((u) => `${this.prefix}${u.key}`);
    const args = updates.flatMap((u) => [Math.max(1, Math.ceil(u.windowMs)), u.add]);
    const flat = await (this.redis as unknown as WithUpdateCommand).tesseraCounters(keys.length, ...keys, ...args);
    return updates.map((_, i) => ({ count: Number(flat[2 * i]), resetInMs: Math.max(0, Number(flat[2 * i + 1])) }));
  }

  async reset(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.redis.del(...keys.map((key) => `${this.prefix}${key}`));
  }

  async close(): Promise<void> {
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}
