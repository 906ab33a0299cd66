/**
 * Beyond one machine: three real `tessera serve` processes on one PostgreSQL schema and
 * one Redis act as one service. Under rotation, 200 concurrent refreshes of the same connections
 * spread over the nodes lose no connection; a node killed with SIGKILL in the middle of load
 * loses nothing it already answered, and the others keep serving; the console works through any
 * node; the failure budgets are shared.
 *
 * Needs PostgreSQL, Redis and the built CLI (`npm run build`): skipped loudly without them on a
 * developer's machine, failing under CI=true.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createApp, createCompany, createCore, createUser, generateRequestToken, loadSettings, openPostgresStore,
  WebServicesAdministrator, type CoreHandle,
} from 'tessera-server';
import { AdminClient } from './admin-helpers.js';
import { postToken } from './helpers.js';
import { dropSchema, freshSchemaName, postgresProblem, redisProblem, skipWithoutServices, testDatabaseUrl, testRedisUrl } from './test-services.js';

const binPath = resolve(import.meta.dirname, '../../cli/dist/bin.js');
const geolocation = 'http://tessera.test';
const secretKey = `multi-node-${randomUUID()}`;
const adminPassword = 'correct horse battery';

const problems = [
  await postgresProblem(),
  await redisProblem(),
  existsSync(binPath) ? undefined : `${binPath} is missing (run \`npm run build\` first)`,
];
const skip = skipWithoutServices('the multi-node suite (PostgreSQL + Redis + three tessera serve processes)', problems);

interface Node {
  name: string;
  url: string;
  process: ChildProcess;
  output: () => string;
}

/** Starts `tessera serve` on the shared schema and Redis; answers once it listens. */
function startNode(name: string, schema: string, redisPrefix: string, dataDir: string): Promise<Node> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('TESSERA_') && key !== 'NODE_OPTIONS') env[key] = value;
  Object.assign(env, {
    TESSERA_SECRET_KEY: secretKey, TESSERA_DATABASE_SCHEMA: schema, TESSERA_GEOLOCATION: geolocation,
    TESSERA_REDIS_KEY_PREFIX: redisPrefix, TESSERA_REFRESH_ROTATION: 'true', TESSERA_LOG_LEVEL: 'warn', TESSERA_LOG_REQUESTS: 'false',
    TESSERA_FAILURE_BUDGET_PER_CLIENT: '5', TESSERA_DATABASE_MAX_CONNECTIONS: '8',
  });
  const child = spawn(process.execPath, [binPath, 'serve', '--host', '127.0.0.1', '--port', '0', '--no-seed', '--data-dir', dataDir,
    '--database-url', testDatabaseUrl, '--redis-url', testRedisUrl], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start within 30 s:\n${output}`));
    }, 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolvePromise({ name, url: match[1]!, process: child, output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before listening:\n${output}`));
    });
  });
}

const refresh = (node: Node, app: { clientId: string; clientSecret: string }, token: string) =>
  postToken(node.url, { grant_type: 'refresh_token', client_id: app.clientId, client_secret: app.clientSecret, refresh_token: token });

/** Like `refresh`, but a node that is gone answers status 0 instead of throwing. */
async function tryRefresh(node: Node, app: { clientId: string; clientSecret: string }, token: string) {
  try {
    return await refresh(node, app, token);
  } catch {
    return { status: 0, body: {} as Record<string, any> };
  }
}

describe.skipIf(skip)('three nodes on one database and one Redis', () => {
  const schema = freshSchemaName();
  const redisPrefix = `tessera-test:${randomUUID()}:`;
  const dataDirs: string[] = [];
  let nodes: Node[] = [];
  let handle: CoreHandle;
  let app: { clientId: string; clientSecret: string };
  const companies: string[] = [];

  beforeAll(async () => {
    // The three nodes start together on an empty schema: they migrate it and make its first signing key, once.
    nodes = await Promise.all(['node-1', 'node-2', 'node-3'].map((name) => {
      const nodeDir = mkdtempSync(join(tmpdir(), `tessera-${name}-`));
      dataDirs.push(nodeDir);
      return startNode(name, schema, redisPrefix, nodeDir);
    }));
    // The fixtures come from an in-process core on the same schema and server key (the nodes' store).
    const store = await openPostgresStore(testDatabaseUrl, { schema });
    const dir = mkdtempSync(join(tmpdir(), 'tessera-multi-'));
    dataDirs.push(dir);
    handle = await createCore(loadSettings({ dataDir: dir, secretKey, geolocation, logLevel: 'warn' }, {}), { store, ensureSigningKey: false });
    const owner = await createCompany(handle.core, { name: 'Partner' });
    const created = await createApp(handle.core, owner.id, {
      name: 'Multi-node app', description: 'refreshed on every node', grants: ['password', 'refresh_token', 'client_credentials'],
      scopes: ['openid', 'company.read'],
    });
    app = { clientId: created.app.id, clientSecret: created.clientSecret };
    await createUser(handle.core, { companyId: owner.id, loginId: `admin-${randomUUID()}@example.com`, password: adminPassword, roles: [WebServicesAdministrator] });
    for (let i = 0; i < 20; i++) companies.push((await createCompany(handle.core, { name: `Customer ${i}` })).id);
  }, 90_000);

  afterAll(async () => {
    await Promise.all(nodes.map((node) => new Promise<void>((done) => {
      if (node.process.exitCode !== null || node.process.signalCode !== null) return done();
      node.process.once('exit', () => done());
      node.process.kill('SIGTERM');
      setTimeout(() => node.process.kill('SIGKILL'), 10_000).unref();
    })));
    await handle?.close();
    await dropSchema(schema);
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
    const { Redis } = await import('ioredis');
    const redis = new Redis(testRedisUrl);
    const keys = await redis.keys(`${redisPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  }, 60_000);

  /** Converts a fresh request token of company `i` on node `i mod 3`; answers the refresh token. */
  async function connect(i: number): Promise<string> {
    const { companyUUID, requestToken } = await generateRequestToken(handle.core, app.clientId, companies[i]!);
    const answer = await postToken(nodes[i % 3]!.url, {
      grant_type: 'password', credtype: 'authtoken', client_id: app.clientId, client_secret: app.clientSecret,
      username: companyUUID, password: requestToken,
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.body.refresh_token as string;
  }

  it('share keys, apps and tokens: a token of one node works on the others', async () => {
    const jwks = await Promise.all(nodes.map(async (node) => (await fetch(`${node.url}/oauth2/v0/jwks`)).json() as Promise<{ keys: unknown[] }>));
    expect(jwks[0]!.keys).toHaveLength(1);
    expect(await handle.core.store.keys.list()).toHaveLength(1);
    expect(jwks[1]).toEqual(jwks[0]);
    expect(jwks[2]).toEqual(jwks[0]);
    const token = await connect(0);
    const second = await refresh(nodes[1]!, app, token);
    expect(second.status).toBe(200);
    for (const node of nodes) {
      const me = await fetch(`${node.url}/profile/v1/me`, { headers: { authorization: `Bearer ${second.body.access_token}` } });
      expect(me.status, node.name).toBe(200);
    }
  });

  it('lose no connection when 200 concurrent refreshes of the same 20 connections spread over the nodes (rotation on)', async () => {
    const heads = await Promise.all(Array.from({ length: 20 }, (_, i) => connect(i)));
    const answers = await Promise.all(Array.from({ length: 200 }, (_, n) => refresh(nodes[n % 3]!, app, heads[n % 20]!)));
    expect(answers.filter((a) => a.status !== 200).map((a) => a.body)).toEqual([]);
    const returned = answers.map((a) => a.body.refresh_token as string);
    expect(new Set(returned).size).toBe(200);

    // Every client (each of the 200 answers) ends with a working refresh token, on any node.
    const again = await Promise.all(returned.map((token, n) => refresh(nodes[(n + 1) % 3]!, app, token)));
    expect(again.filter((a) => a.status !== 200).map((a) => a.body)).toEqual([]);
    const connections = await handle.core.store.connections.listByApp(app.clientId);
    const live = connections.filter((c) => c.revokedAt === null);
    for (const head of heads) {
      const found = await handle.core.store.connections.findRefreshToken(handle.core.serverKeys.digest(head));
      expect(found?.connection.revokedAt).toBeNull();
    }
    expect(live.length).toBeGreaterThanOrEqual(20);
  }, 60_000);

  it('share the failure budgets through Redis', async () => {
    const guessed = await createApp(handle.core, (await handle.core.store.apps.get(app.clientId))!.companyId, {
      name: 'Guessed', description: 'someone guesses its secret', grants: ['client_credentials'], scopes: ['openid'],
    });
    for (let i = 0; i < 5; i++) {
      const answer = await postToken(nodes[i % 3]!.url, { grant_type: 'client_credentials', client_id: guessed.app.id, client_secret: randomUUID() });
      expect(answer.status).toBe(401);
    }
    for (const node of nodes) {
      const answer = await postToken(node.url, { grant_type: 'client_credentials', client_id: guessed.app.id, client_secret: guessed.clientSecret });
      expect(answer.status, node.name).toBe(429);
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });

  it('serve the console through any node: a session made on one is good on the others', async () => {
    const admins = await handle.core.store.users.listByCompany((await handle.core.store.apps.get(app.clientId))!.companyId);
    const admin = new AdminClient(nodes[0]!.url);
    expect((await admin.signIn(admins[0]!.loginId, adminPassword)).status).toBe(200);
    for (const node of nodes.slice(1)) {
      const elsewhere = new AdminClient(node.url);
      elsewhere.setCookie('tessera_admin', admin.cookie('tessera_admin')!);
      elsewhere.csrfToken = admin.csrfToken;
      expect((await elsewhere.get('/session')).status, node.name).toBe(200);
      const listed = await elsewhere.get('/apps');
      expect(listed.status).toBe(200);
      expect(listed.body.items.map((a: { clientId: string }) => a.clientId)).toContain(app.clientId);
      const issued = await elsewhere.post('/request-tokens', { appId: app.clientId });
      expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    }
  });

  it('lose nothing already answered when a node is killed with SIGKILL in the middle of load; the others keep serving', async () => {
    const workers = 12;
    const rounds = 25;
    const latest = await Promise.all(Array.from({ length: workers }, (_, i) => connect(i)));
    const answered: string[] = [];
    const afterKill = { ok: 0, failed: 0, unanswered: 0 };
    const victim = nodes[2]!;
    let killed = false;
    let successes = 0;

    await Promise.all(Array.from({ length: workers }, async (_, w) => {
      for (let round = 0; round < rounds; round++) {
        const node = nodes[(w + round) % 3]!;
        const answer = await tryRefresh(node, app, latest[w]!);
        if (answer.status === 200) {
          latest[w] = answer.body.refresh_token as string;
          answered.push(latest[w]!);
          if (killed && node !== victim) afterKill.ok++;
          if (++successes === 60 && !killed) {
            killed = true;
            victim.process.kill('SIGKILL');
          }
        } else if (answer.status === 0 && node === victim) {
          afterKill.unanswered++;
        } else {
          // Only the killed node may fail to answer; any other answer is a loss.
          afterKill.failed++;
          throw new Error(`${node.name} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
        }
      }
    }));
    expect(killed).toBe(true);
    expect(victim.process.signalCode === 'SIGKILL' || victim.process.exitCode !== null).toBe(true);
    expect(afterKill).toMatchObject({ failed: 0 });
    expect(afterKill.ok).toBeGreaterThan(20);
    expect(afterKill.unanswered).toBeGreaterThan(0);

    // Every refresh token answered with a 200, by whichever node, is in the store and works afterwards.
    const survivors = nodes.filter((node) => node !== victim);
    for (const [n, token] of answered.entries()) {
      const stored = await handle.core.store.connections.findRefreshToken(handle.core.serverKeys.digest(token));
      expect(stored?.connection.revokedAt, `answered token ${n}`).toBeNull();
    }
    const checks = await Promise.all(answered.map((token, n) => refresh(survivors[n % 2]!, app, token)));
    expect(checks.filter((c) => c.status !== 200).map((c) => c.body)).toEqual([]);
  }, 90_000);
});
