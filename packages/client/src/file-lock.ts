/**
 * An exclusive lock between processes, as a lock file created with `O_EXCL` beside the file it
 * guards. The file names its owner (host, pid); a lock whose owner died on this host, or that is
 * older than `staleMs`, is broken, so a crashed refresh cannot block every later one.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { ConcurError } from './errors.js';

export interface FileLockOptions {
  /** How long to wait for the lock before giving up with `ERR_LOCK_TIMEOUT` (default 60 s). */
  timeoutMs?: number;
  /** Age after which a lock is broken even though its owner may live (default 120 s). */
  staleMs?: number;
  /** Called once when the lock was not free within a second (to tell a person why nothing happens). */
  onWait?: () => void;
}

interface LockOwner {
  pid: number;
  host: string;
  nonce: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `work` while holding the lock file `lockPath`. */
export async function withFileLock<T>(lockPath: string, work: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const nonce = await acquire(lockPath, options);
  try {
    return await work();
  } finally {
    await release(lockPath, nonce);
  }
}

async function acquire(lockPath: string, options: FileLockOptions): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const staleMs = options.staleMs ?? 120_000;
  const started = Date.now();
  let told = false;
  for (let round = 0; ; round++) {
    const owner: LockOwner = { pid: process.pid, host: hostname(), nonce: randomBytes(12).toString('hex') };
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      try {
        await handle.writeFile(JSON.stringify(owner));
      } finally {
        await handle.close();
      }
      return owner.nonce;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ConcurError('ERR_STORE', `cannot create the lock ${lockPath}: ${(error as Error).message}`, { cause: error });
      }
    }
    if (await breakIfStale(lockPath, staleMs)) continue;
    const waited = Date.now() - started;
    if (waited > timeoutMs) {
      throw new ConcurError('ERR_LOCK_TIMEOUT', `${lockPath} is held by another process since more than ${Math.round(timeoutMs / 1000)} s`);
    }
    if (!told && waited > 1000) {
      told = true;
      options.onWait?.();
    }
    await sleep(Math.min(100, 5 + round * 5) * (0.5 + Math.random()));
  }
}

/** Removes the lock when its owner is gone; answers whether it did. */
async function breakIfStale(lockPath: string, staleMs: number): Promise<boolean> {
  let owner: Partial<LockOwner> | undefined;
  let age: number;
  try {
    age = Date.now() - (await stat(lockPath)).mtimeMs;
    owner = parseOwner(await readFile(lockPath, 'utf8'));
  } catch (error) {
    // Released between our attempt and now: just try again.
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
  const ownerDead = owner?.host === hostname() && typeof owner.pid === 'number' && !isAlive(owner.pid);
  if (!ownerDead && age <= staleMs) return false;
  // Move it aside first, then check it is the one judged stale; a fresh lock taken meanwhile goes back.
  const aside = `${lockPath}.${randomBytes(6).toString('hex')}.stale`;
  try {
    await rename(lockPath, aside);
  } catch {
    return true;
  }
  try {
    const moved = parseOwner(await readFile(aside, 'utf8'));
    if (owner?.nonce && moved?.nonce !== owner.nonce) await link(aside, lockPath).catch(() => undefined);
  } finally {
    await rm(aside, { force: true });
  }
  return true;
}

async function release(lockPath: string, nonce: string): Promise<void> {
  try {
    if (parseOwner(await readFile(lockPath, 'utf8'))?.nonce === nonce) await rm(lockPath, { force: true });
  } catch {
    // Already gone (broken as stale by someone else): nothing to release.
  }
}

function parseOwner(text: string): Partial<LockOwner> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as Partial<LockOwner>) : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
