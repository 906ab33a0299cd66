/**
 * Which server serves a data dir: `tessera serve` on the embedded store writes its process id to
 * `tessera.pid` there while it runs, so `tessera admin restore` and `migrate` can refuse to work
 * under it. A file left by a killed server names a process that is gone, and counts for nothing.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writePrivateFile } from './data-dir.js';

const pidFile = (dataDir: string) => join(dataDir, 'tessera.pid');

/** Records this process as the server of `dataDir`; answers the function that withdraws it again. */
export function markServing(dataDir: string): () => void {
  const file = pidFile(dataDir);
  writePrivateFile(file, `${process.pid}\n`);
  return () => {
    if (servingPid(dataDir) === process.pid) rmSync(file, { force: true });
  };
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
