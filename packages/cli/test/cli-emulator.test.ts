/**
 * `tessera emulator clock …` and `tessera emulator fault …` against a running Tessera in
 * emulator mode (docs/emulator.md), as a developer or a CI script runs them; exit codes per
 * packages/cli/src/exit-codes.ts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeApp, postToken, startTestServer, type TestServer } from '../../server/test/helpers.js';
import { binPath, cli, tempHome } from './run-cli.js';

let t: TestServer;
let off: TestServer;
let home: string;
let removeHome: () => void;

beforeAll(async () => {
  [t, off] = await Promise.all([startTestServer({ settings: { emulator: true } }), startTestServer()]);
  ({ home, remove: removeHome } = tempHome());
});
afterAll(async () => {
  await Promise.all([t?.close(), off?.close()]);
  removeHome?.();
});

const run = (...args: string[]) => cli(home, ['emulator', '--server', t.url, ...args]);

describe('tessera emulator clock', () => {
  it('shows, advances, sets and resets the server clock', async () => {
    const shown = await run('--json', 'clock', 'show');
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ offsetSeconds: 0 });

    const advanced = await run('--json', 'clock', 'advance', '181d');
    expect(advanced.stderr).toBe('');
    expect(JSON.parse(advanced.stdout).offsetSeconds).toBe(181 * 86400);
    expect(t.server.emulator!.clock.offset()).toBe(181 * 86400_000);

    const set = await run('clock', 'set', '2031-01-01T00:00:00Z');
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/^now\s+2031-01-01T00:00:0/m);

    const reset = await run('--json', 'clock', 'reset');
    expect(JSON.parse(reset.stdout).offsetSeconds).toBe(0);
  });

  it('runs where the server\'s native dependencies cannot load (a client command)', async () => {
    const hook = pathToFileURL(resolve(import.meta.dirname, 'fixtures/forbid-server.mjs')).href;
    const shown = await cli(home, ['emulator', '--server', t.url, '--json', 'clock', 'show'], { env: { NODE_OPTIONS: `--import ${hook}` } });
    expect(shown.stderr).toBe('');
    expect(JSON.parse(shown.stdout)).toHaveProperty('now');
  });

  it('exits 2 for a duration the server refuses, and moves nothing', async () => {
    const bad = await run('clock', 'advance', 'three weeks');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/advance must be a duration/);
    expect(t.server.emulator!.clock.offset()).toBe(0);
  });

  it('exits 1 and says so when the server is not in emulator mode, or not there', async () => {
    const notEmulator = await cli(home, ['emulator', '--server', off.url, 'clock', 'show']);
    expect(notEmulator.code).toBe(1);
    expect(notEmulator.stderr).toMatch(/not in emulator mode/);
    const cleared = await cli(home, ['emulator', '--server', off.url, 'fault', 'clear']);
    expect(cleared.code).toBe(1);
    expect(cleared.stderr).toMatch(/not in emulator mode/);
    const gone = await cli(home, ['emulator', '--server', 'http://127.0.0.1:1', 'clock', 'show']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/cannot reach/);
  });
});

describe('tessera emulator fault', () => {
  it('adds a rule that fires, lists it with its remaining count, and clears one or all', async () => {
    const app = await makeApp(t);
    const added = await run('fault', 'add', '--path', '/oauth2/v0/token', '--grant-type', 'client_credentials', '--client-id', app.clientId, '--code', '134', '--times', '2');
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    const id = added.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    const listed = await run('--json', 'fault', 'list');
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ id, remaining: 2, effect: { type: 'concur-error', code: 134 } })]);
    const table = await run('fault', 'list');
    expect(table.stdout).toMatch(/code 134/);

    const call = () => postToken(t.url, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret });
    expect((await call()).body.code).toBe(134);
    const after = await run('--json', 'fault', 'list');
    expect(JSON.parse(after.stdout)[0].remaining).toBe(1);

    const one = await run('fault', 'clear', id);
    expect(one.code).toBe(0);
    expect((await call()).status).toBe(200);
    expect((await run('fault', 'clear', id)).code).toBe(3);

    await run('fault', 'add', '--delay', '10');
    await run('fault', 'add', '--status', '503', '--probability', '0.5');
    expect(JSON.parse((await run('--json', 'fault', 'list')).stdout)).toHaveLength(2);
    expect((await run('fault', 'clear')).code).toBe(0);
    expect(JSON.parse((await run('--json', 'fault', 'list')).stdout)).toEqual([]);
  });

  it('exits 2 without exactly one effect, or with one the server refuses', async () => {
    const none = await run('fault', 'add', '--path', '/x');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/exactly one of/);
    const two = await run('fault', 'add', '--drop', '--truncate');
    expect(two.code).toBe(2);
    const refused = await run('fault', 'add', '--status', '404');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/invalid input/);
    const delay = await run('fault', 'add', '--delay', '70000');
    expect(delay.code).toBe(2);
    expect(JSON.parse((await run('--json', 'fault', 'list')).stdout)).toEqual([]);
  });
});

describe('tessera serve --emulator', () => {
  async function freePort(): Promise<number> {
    const server = createTcpServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as { port: number };
    await new Promise((done) => server.close(done));
    return port;
  }

  it('announces emulator mode in the banner and on /readyz, and the CLI reaches it on TESSERA_PORT', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-emulator-serve-'));
    const port = await freePort();
    const child = spawn(process.execPath, [binPath, 'serve', '--emulator', '--port', String(port), '--data-dir', dataDir], {
      env: { ...process.env, TESSERA_LOG_LEVEL: 'warn', TESSERA_HOME: join(dataDir, 'home'), TESSERA_HOST: '127.0.0.1' }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    const exited = new Promise((done) => child.once('exit', done));
    try {
      await expect.poll(() => stderr, { timeout: 20_000 }).toContain('listening at');
      expect(stderr).toContain('EMULATOR MODE');
      expect(stderr).toMatch(/never expose this server to a network you do not control/);
      expect(await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()).toMatchObject({ emulator: true });
      const shown = await cli(home, ['emulator', '--json', 'clock', 'advance', '2h'], { env: { TESSERA_PORT: String(port) } });
      expect(shown.stderr).toBe('');
      expect(JSON.parse(shown.stdout).offsetSeconds).toBe(7200);
    } finally {
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses to start on an address other than loopback unless forced', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-emulator-serve-'));
    try {
      const refused = await cli(home, ['serve', '--emulator', '--host', '0.0.0.0', '--port', '0', '--data-dir', dataDir]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/emulator mode listens only on loopback.*TESSERA_EMULATOR_ALLOW_REMOTE/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
