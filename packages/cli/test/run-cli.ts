/**
 * Runs the built `tessera` (packages/cli/dist/bin.js, so `npm run build` first) as a separate
 * process with its own TESSERA_HOME, as a user or a cron job would.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const binPath = resolve(import.meta.dirname, '../dist/bin.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Written to standard input, which is then closed. */
  input?: string;
  env?: Record<string, string | undefined>;
}

/** Variables of the developer's own shell that would change what the commands do. */
const scrubbed = ['TESSERA_ENV', 'TESSERA_CLIENT_SECRET', 'TESSERA_REQUEST_TOKEN', 'NODE_OPTIONS', 'TESSERA_HOME'];

export function cli(home: string, args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(home, args, options).done;
}

/** A running `tessera`: its output so far, a wait for a line of standard error, and its end. */
export interface RunningCli {
  output(): { stdout: string; stderr: string };
  /** Resolves with the first match of `pattern` in standard error (rejects if the process ends first). */
  stderrMatch(pattern: RegExp): Promise<RegExpMatchArray>;
  done: Promise<CliResult>;
  /** Ends it (SIGTERM) if it still runs; answers its end. */
  stop(): Promise<CliResult>;
}

/** Starts `tessera` without waiting for it (for commands that wait themselves, like `token login`). */
export function startCli(home: string, args: string[], options: CliOptions = {}): RunningCli {
  if (!existsSync(binPath)) throw new Error(`${binPath} is missing: run \`npm run build\` first`);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...process.env, ...options.env })) {
    if (value !== undefined && !(scrubbed.includes(key) && !(options.env && key in options.env))) env[key] = value;
  }
  env.TESSERA_HOME = home;
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  const child = spawn(process.execPath, [binPath, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const done = new Promise<CliResult>((resolvePromise, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      for (const listener of listeners) listener();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      resolvePromise({ code, stdout, stderr });
      for (const listener of listeners) listener();
    });
    child.stdin.end(options.input ?? '');
  });
  return {
    output: () => ({ stdout, stderr }),
    done,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return done;
    },
    stderrMatch: (pattern) => new Promise((resolvePromise, reject) => {
      const check = () => {
        const match = stderr.match(pattern);
        if (match) {
          listeners.delete(check);
          resolvePromise(match);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          listeners.delete(check);
          reject(new Error(`tessera ended (${child.exitCode ?? child.signalCode}) before printing ${pattern}:\n${stderr}`));
        }
      };
      listeners.add(check);
      check();
    }),
  };
}

/** A fresh TESSERA_HOME, removed by the returned function. */
export function tempHome(): { home: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-home-'));
  return { home: join(dir, 'home'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
