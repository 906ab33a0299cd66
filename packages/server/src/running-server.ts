/**
 * Which server serves a data dir: `tessera serve` on the embedded store writes its process id to
 * `tessera.pid` there once it listens, so `tessera admin restore` and `migrate` can refuse to work
 * under it. A file left by a killed server names a process that is gone, and counts for nothing.
 * A second server on the same data dir never overwrites a live server's file: it refuses to start
 * (else, failing later, it would leave a file naming a dead process and lose the guard).
 */
import { readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PrivateFileMode } from './data-dir.js';

const pidFile = (dataDir: string) => resolve(join(dataDir, 'tessera.pid'));

/** Another live process serves the data dir. */
export class DataDirInUseError extends Error {
  constructor(readonly pid: number, dataDir: string) {
    super(`a Tessera server (process ${pid}) is already running on data dir ${dataDir}: stop it first, or give this one another data dir`);
    this.name = 'DataDirInUseError';
  }
}

/** Throws `DataDirInUseError` when a process other than this one serves `dataDir`. */
export function assertNotServedByOther(dataDir: string): void {
  const pid = servingPid(dataDir);
  if (pid !== undefined && pid !== process.pid) throw new DataDirInUseError(pid, dataDir);
}

/** How many servers of this process hold each pid file (tests run several on one data dir). */
const holders = new Map<string, number>();

/**
 * Records this process as the server of `dataDir` (call it once listening); answers the function
 * that withdraws it again. Throws `DataDirInUseError` when a live process holds the file.
 */
export function markServing(dataDir: string): () => void {
  const file = pidFile(dataDir);
  const held = holders.get(file) ?? 0;
  if (held === 0) claim(file, dataDir);
  holders.set(file, held + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (holders.get(file) ?? 1) - 1;
    if (left > 0) return void holders.set(file, left);
    holders.delete(file);
    // Only our own: a file another process wrote since is theirs.
    if (servingPid(dataDir) === process.pid) rmSync(file, { force: true });
  };
}

/** Creates the pid file exclusively; a file naming a dead process is stale and replaced. */
function claim(file: string, dataDir: string): void {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { mode: PrivateFileMode, flag: 'wx' });
      chmodSync(file, PrivateFileMode);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const pid = servingPid(dataDir);
    if (pid === process.pid) return;
    if (pid !== undefined) throw new DataDirInUseError(pid, dataDir);
    rmSync(file, { force: true });
  }
  throw new Error(`could not create ${file}: another process keeps replacing it`);
}

/** The process id of a server running on `dataDir`, or undefined when none is. */
export function servingPid(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile(dataDir), 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}
