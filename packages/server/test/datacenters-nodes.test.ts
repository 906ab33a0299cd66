/**
 * Each node one datacenter of a shared deployment (docs/operations.md "Several datacenters"): two
 * real `tessera serve` processes on one PostgreSQL schema get the same full list of datacenters,
 * one through `--datacenter` flags and one through TESSERA_DATACENTERS, and each serves the one
 * its `--node-datacenter` / TESSERA_NODE_DATACENTER names. A user of an eu2 company is sent to eu2
 * (code 16) by the us2 node for sign-in and refresh, and served by the eu2 node.
 *
 * Needs PostgreSQL and the built CLI (`npm run build`): skipped loudly without them on a developer's
 * machine, failing under CI=true.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, createCompany, createCore, createUser, loadSettings, openPostgresStore, type CoreHandle } from 'tessera-server';
import { postToken } from './helpers.js';
import { dropSchema, freshSchemaName, postgresProblem, skipWithoutServices, testDatabaseUrl } from './test-services.js';

const binPath = resolve(import.meta.dirname, '../../cli/dist/bin.js');
const secretKey = `datacenter-nodes-${randomUUID()}`;
const password = 'correct horse battery';

const problems = [await postgresProblem(), existsSync(binPath) ? undefined : `${binPath} is missing (run \`npm run build\` first)`];
const skip = skipWithoutServices('the datacenter nodes suite (PostgreSQL + two tessera serve processes)', problems);

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** Starts `tessera serve` on the shared schema; answers once it listens. */
function startNode(args: string[], extraEnv: Record<string, string>, schema: string, dataDir: string): Promise<ChildProcess> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('TESSERA_') && key !== 'NODE_OPTIONS') env[key] = value;
  Object.assign(env, { TESSERA_SECRET_KEY: secretKey, TESSERA_DATABASE_SCHEMA: schema, TESSERA_LOG_LEVEL: 'warn', TESSERA_LOG_REQUESTS: 'false' }, extraEnv);
  const child = spawn(process.execPath, [binPath, 'serve', '--no-seed', '--data-dir', dataDir, '--database-url', testDatabaseUrl, ...args],
    { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolveNode, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`a node did not start within 30 s:\n${output}`));
    }, 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/listening at http/.test(output)) {
        clearTimeout(timer);
        resolveNode(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`a node exited with ${code} before listening:\n${output}`));
    });
  });
}

const decodeJwt = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

describe.skipIf(skip)('two nodes, each one datacenter, on one PostgreSQL schema', () => {
  const schema = freshSchemaName();
  const dirs: string[] = [];
  const nodes: ChildProcess[] = [];
  let handle: CoreHandle;
  let us2: string;
  let eu2: string;
  let form: Record<string, string>;

  beforeAll(async () => {
    us2 = `http://127.0.0.1:${await freePort()}`;
    eu2 = `http://127.0.0.1:${await freePort()}`;
    const dir = () => {
      const made = mkdtempSync(join(tmpdir(), 'tessera-dc-node-'));
      dirs.push(made);
      return made;
    };
    // The first node migrates the empty schema and makes the signing key; the second joins it.
    nodes.push(await startNode(['--datacenter', `us2=${us2}`, '--datacenter', `eu2=${eu2}`, '--node-datacenter', 'us2'], {}, schema, dir()));
    nodes.push(await startNode([], { TESSERA_DATACENTERS: `us2=${us2},eu2=${eu2}`, TESSERA_NODE_DATACENTER: 'eu2' }, schema, dir()));
    const store = await openPostgresStore(testDatabaseUrl, { schema });
    handle = await createCore(loadSettings({ dataDir: dir(), secretKey, geolocation: us2, logLevel: 'warn' }, {}), { store, ensureSigningKey: false });
    const company = await createCompany(handle.core, { name: 'EU Co', geolocation: eu2 });
    const { app, clientSecret } = await createApp(handle.core, company.id, {
      name: 'Expense Sync', description: 'two datacenters', grants: ['password', 'refresh_token'], scopes: ['openid', 'user.read'],
    });
    const loginId = `pat-${randomUUID()}`;
    await createUser(handle.core, { companyId: company.id, loginId, password });
    form = { grant_type: 'password', credtype: 'password', client_id: app.id, client_secret: clientSecret, username: loginId, password };
  }, 90_000);

  afterAll(async () => {
    await Promise.all(nodes.map((node) => new Promise<void>((done) => {
      if (node.exitCode !== null || node.signalCode !== null) return done();
      node.once('exit', () => done());
      node.kill('SIGTERM');
      setTimeout(() => node.kill('SIGKILL'), 10_000).unref();
    })));
    await handle?.close();
    await dropSchema(schema);
    for (const made of dirs) rmSync(made, { recursive: true, force: true });
  }, 60_000);

  it('each node answers as its datacenter: discovery, code 16 for sign-in and refresh, tokens of the home', async () => {
    expect(((await (await fetch(`${us2}/.well-known/openid-configuration`)).json()) as { issuer: string }).issuer).toBe(us2);
    expect(((await (await fetch(`${eu2}/.well-known/openid-configuration`)).json()) as { issuer: string }).issuer).toBe(eu2);

    const away = await postToken(us2, form);
    expect(away.status).toBe(400);
    expect(away.body).toMatchObject({ code: 16, geolocation: eu2 });
    const home = await postToken(eu2, form);
    expect(home.status, JSON.stringify(home.body)).toBe(200);
    expect(decodeJwt(home.body.access_token as string).iss).toBe(eu2);

    const refresh = { grant_type: 'refresh_token', client_id: form.client_id!, client_secret: form.client_secret!, refresh_token: home.body.refresh_token as string };
    expect((await postToken(us2, refresh)).body).toMatchObject({ code: 16, geolocation: eu2 });
    const refreshed = await postToken(eu2, refresh);
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    expect(refreshed.body.geolocation).toBe(eu2);

    const me = (base: string) => fetch(`${base}/profile/v1/me`, { headers: { authorization: `Bearer ${refreshed.body.access_token as string}` } });
    expect((await me(us2)).status).toBe(401);
    expect((await me(eu2)).status).toBe(200);
  });
});
