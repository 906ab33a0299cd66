/**
 * Child processes of the benchmark: each system under test in its own fresh process, pinned to
 * one core with `taskset` (the load generator gets the other), its start timed from spawn to the
 * first answered request, its memory read from /proc.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { LoadJob, LoadResult } from './loader.js';

const children = new Set<ChildProcess>();

/** Kills every child still running (on exit, Ctrl-C or a failure): nothing is left behind. */
export function killChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
process.on('exit', killChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killChildren();
    process.exit(130);
  });
}

/** Whether processes can be pinned: taskset present and at least two cores. */
export const canPin = cpus().length >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;

/** Pins this process (every thread) to `core`. */
export function pinSelf(core: number): void {
  spawnSync('taskset', ['-a', '-p', '-c', String(core), String(process.pid)], { stdio: 'ignore' });
}

function pinned(core: number | null, argv: string[]): [string, string[]] {
  return canPin && core !== null ? ['taskset', ['-c', String(core), ...argv]] : [argv[0]!, argv.slice(1)];
}

/** A free loopback port (chosen once; the servers of a run take turns on it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface Memory {
  rssMb: number;
  peakRssMb: number;
}

/** VmRSS and VmHWM (the high-water mark since the process started) from /proc. */
export function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMb: Math.round(kb('VmRSS') / 102.4) / 10, peakRssMb: Math.round(kb('VmHWM') / 102.4) / 10 };
}

/** CPU time the process has used so far (every thread, from the scheduler), milliseconds. */
export function cpuTimeMs(pid: number): number {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return ns / 1e6;
}

function getStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

export interface StartOptions {
  argv: string[];
  env: NodeJS.ProcessEnv;
  /** stdout and stderr of the server go here (a server's logs go to a file, as in production). */
  logFile: string;
  port: number;
  /** Polled from spawn until it answers 200: the start time. */
  readyPath: string;
  /** The child sends `{ ready: true, fixtures }` over IPC once it is ready for load. */
  ipc: boolean;
  core: number | null;
  timeoutMs?: number;
}

export interface Running {
  pid: number;
  /** Spawn to the first 200 answer, milliseconds. */
  startMs: number;
  fixtures: unknown;
  memory(): Memory;
  cpuMs(): number;
  stop(): Promise<void>;
  logTail(): string;
}

export async function startServer(options: StartOptions): Promise<Running> {
  const log = openSync(options.logFile, 'a');
  const [command, args] = pinned(options.core, options.argv);
  const spawnedAt = performance.now();
  const child = spawn(command, args, { env: options.env, stdio: ['ignore', log, log, ...(options.ipc ? ['ipc' as const] : [])] });
  closeSync(log);
  children.add(child);
  const logTail = () => {
    try {
      return readFileSync(options.logFile, 'utf8').split('\n').slice(-15).join('\n');
    } catch {
      return '';
    }
  };
  let exited: string | undefined;
  const exit = new Promise<void>((resolve) => child.once('exit', (code, signal) => {
    exited = `exited with ${code ?? signal}`;
    children.delete(child);
    resolve();
  }));
  const fixtures = options.ipc
    ? new Promise<unknown>((resolve) => child.on('message', (m: { ready?: boolean; fixtures?: unknown }) => m.ready && resolve(m.fixtures)))
    : Promise.resolve(undefined);

  const deadline = spawnedAt + (options.timeoutMs ?? 60_000);
  let startMs = Number.NaN;
  while (performance.now() < deadline) {
    if (exited) throw new Error(`server ${exited} before answering:\n${logTail()}`);
    if ((await getStatus(options.port, options.readyPath)) === 200) {
      startMs = performance.now() - spawnedAt;
      break;
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  if (Number.isNaN(startMs)) {
    child.kill('SIGKILL');
    throw new Error(`server did not answer ${options.readyPath} within ${options.timeoutMs ?? 60_000} ms:\n${logTail()}`);
  }
  const ready = await Promise.race([fixtures, exit.then(() => {
    throw new Error(`server ${exited}:\n${logTail()}`);
  })]);
  return {
    pid: child.pid!,
    startMs: Math.round(startMs),
    fixtures: ready,
    memory: () => memoryOf(child.pid!),
    cpuMs: () => cpuTimeMs(child.pid!),
    logTail,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** The load generator process, pinned to its own core, running jobs one at a time. */
export class Loader {
  private nextId = 0;
  private constructor(private readonly child: ChildProcess) {}

  static async start(script: string, core: number | null): Promise<Loader> {
    const [command, args] = pinned(core, [process.execPath, script]);
    const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, NODE_ENV: 'production' } });
    children.add(child);
    child.once('exit', () => children.delete(child));
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`loader exited with ${code}`)));
    });
    return new Loader(child);
  }

  run(job: LoadJob): Promise<LoadResult> {
    const id = this.nextId++;
    const limitMs = (job.seconds + (job.warmupSeconds ?? 0) + 60) * 1000;
    return new Promise<LoadResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`load run did not finish within ${limitMs / 1000} s`));
      }, limitMs);
      const onMessage = (m: { id?: number; result?: LoadResult; error?: string }) => {
        if (m.id !== id) return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        if (m.error) reject(new Error(m.error));
        else resolve(m.result!);
      };
      this.child.on('message', onMessage);
      this.child.send({ id, job });
    });
  }

  drop(cell: string): void {
    this.child.send({ drop: cell });
  }

  stop(): void {
    this.child.disconnect();
  }
}
