/**
 * `tessera serve` as `npm start` runs it: the first start prints the demo credentials and a step-3
 * `curl` that works exactly as printed, on stderr, while stdout carries only JSON log lines with
 * no secret in them; a later start says how to get a new request token, and that works too.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { binPath, cli, tempHome } from './run-cli.js';

const run = promisify(execFile);
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

interface Served { child: ChildProcess; stdout: () => string; stderr: string; url: string }

/** Starts `tessera serve` and waits until its banner (which ends with `until`) is complete. */
async function serve(home: string, dataDir: string, until: RegExp): Promise<Served> {
  const env = { ...process.env, TESSERA_HOME: home };
  for (const key of Object.keys(env)) if (key.startsWith('TESSERA_') && key !== 'TESSERA_HOME') delete env[key];
  const child = spawn(process.execPath, [binPath, 'serve', '--port', '0', '--data-dir', dataDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  cleanups.push(async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
  await new Promise<void>((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (until.test(stderr)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  const url = /listening at (\S+)/.exec(stderr)![1]!;
  return { child, stdout: () => stdout, stderr, url };
}

async function stop(served: Served): Promise<void> {
  const exited = new Promise((resolve) => served.child.once('exit', resolve));
  served.child.kill('SIGTERM');
  await exited;
}

const value = (banner: string, label: string) => new RegExp(`${label}\\s+(\\S+)`).exec(banner)![1]!;

describe('tessera serve on an empty data dir', () => {
  it('prints a ready-to-run step-3 curl once, on stderr, and on later starts how to get a new request token', async () => {
    const { home, remove } = tempHome();
    cleanups.push(remove);
    const dataDir = join(home, '..', 'data');

    const first = await serve(home, dataDir, /-d password=\S+\n/);
    const clientId = value(first.stderr, 'clientId');
    const clientSecret = value(first.stderr, 'clientSecret');
    const requestToken = value(first.stderr, 'company request token');
    expect(first.stderr).not.toMatch(/<clientSecret>|<request token>/);

    // The curl exactly as printed (its lines joined by the shell's backslash continuations).
    const curl = first.stderr.slice(first.stderr.indexOf('  curl'));
    const converted = await run('bash', ['-c', curl.trim()]);
    const tokens = JSON.parse(converted.stdout) as { refresh_token: string; access_token: string };
    expect(tokens.refresh_token).toMatch(/\S{20,}/);

    // stdout: JSON log lines only, none with a demo secret in it.
    await stop(first);
    const logLines = first.stdout().split('\n').filter(Boolean);
    expect(logLines.length).toBeGreaterThan(0);
    for (const line of logLines) {
      expect(() => JSON.parse(line), line).not.toThrow();
      for (const secret of [clientSecret, requestToken, tokens.refresh_token]) expect(line).not.toContain(secret);
    }

    // A later start: no seed, and the commands it names work on that store as printed.
    const second = await serve(home, dataDir, /Client Secrets/);
    await stop(second);
    expect(second.stderr).not.toMatch(/First start/);
    expect(second.stderr).not.toContain(clientSecret);
    const listCommand = /npx tessera (admin --data-dir \S+ apps list)/.exec(second.stderr)![1]!.split(' ');
    const listed = await cli(home, listCommand);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(clientId);
    const tokenCommand = /npx tessera (admin --data-dir \S+ request-token --client-id) <clientId>/.exec(second.stderr)![1]!.split(' ');
    const generated = await cli(home, [...tokenCommand, clientId, '--json']);
    expect(generated.code, generated.stderr).toBe(0);
    const fresh = JSON.parse(generated.stdout) as { requestToken: string };
    expect(fresh.requestToken).not.toBe(requestToken);

    const third = await serve(home, dataDir, /Client Secrets/);
    const answer = await fetch(`${third.url}/oauth2/v0/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'password', credtype: 'authtoken', client_id: clientId, client_secret: clientSecret, username: value(first.stderr, 'companyUUID'), password: fresh.requestToken }),
    });
    expect(answer.status).toBe(200);
    await stop(third);
  }, 60_000);
});
