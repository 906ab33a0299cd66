/**
 * The data dir is the owner's alone whatever the umask; a login id
 * created by six requests at once answers one 201 and five clear duplicates, never a 500; a client
 * that hangs up mid-request is logged as such (no stack, no 500 audit); HSTS on every HTTPS answer
 * and none over HTTP; and a malformed request's log line names its correlation id once.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCompany, createServer, loadSettings, type TesseraServer } from 'tessera-server';
import { makeApp, postToken, startTestServer, type TestServer } from './helpers.js';
import { AdminClient, makeAdmin } from './admin-helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A data dir that exists before the server first starts, readable by everyone (0755). */
function preexistingDataDir(): string {
  const parent = mkdtempSync(join(tmpdir(), 'tessera-modes-'));
  cleanups.push(() => rmSync(parent, { recursive: true, force: true }));
  const dataDir = join(parent, 'data');
  mkdirSync(dataDir);
  chmodSync(dataDir, 0o755);
  return dataDir;
}

const modeOf = (path: string) => statSync(path).mode & 0o777;

async function startOn(dataDir: string): Promise<TesseraServer> {
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  const server = await createServer(loadSettings({ port: 0, dataDir, https: true, seedDemo: false }, {}), { logDestination: sink });
  await server.listen();
  await createCompany(server.core, { name: 'Writes the WAL' });
  return server;
}

describe('item 9: files in the data dir are 0600, the dir 0700, whatever the umask', () => {
  it('with a pre-existing 0755 data dir and umask 022: the store, its -wal and -shm, the server key and the TLS files', async () => {
    const dataDir = preexistingDataDir();
    const umask = process.umask(0o022);
    try {
      const server = await startOn(dataDir);
      cleanups.push(() => server.close());
      const files = readdirSync(dataDir).sort();
      expect(files).toEqual(['localhost-cert.pem', 'localhost-key.pem', 'secret.key', 'tessera.db', 'tessera.db-shm', 'tessera.db-wal', 'tessera.pid']);
      expect(Object.fromEntries(files.map((f) => [f, modeOf(join(dataDir, f)).toString(8)]))).toEqual(
        Object.fromEntries(files.map((f) => [f, '600'])));
      expect(modeOf(dataDir).toString(8)).toBe('700');
      await cleanups.pop()!();

      // A data dir left readable by an older version is narrowed on the next start.
      for (const file of readdirSync(dataDir)) chmodSync(join(dataDir, file), 0o644);
      chmodSync(dataDir, 0o755);
      const again = await startOn(dataDir);
      cleanups.push(() => again.close());
      for (const file of readdirSync(dataDir)) expect(modeOf(join(dataDir, file)).toString(8), file).toBe('600');
      expect(modeOf(dataDir).toString(8)).toBe('700');
    } finally {
      process.umask(umask);
    }
  });
});

describe('item 9: a data dir that also holds others\' files is not narrowed', () => {
  it('leaves the directory mode alone and warns; Tessera\'s own files in it are still 0600', async () => {
    const dataDir = preexistingDataDir();
    writeFileSync(join(dataDir, 'notes.txt'), 'the user\'s own file');
    chmodSync(join(dataDir, 'notes.txt'), 0o644);
    const logs: Record<string, unknown>[] = [];
    const sink = new Writable({
      write: (chunk, _encoding, done) => {
        for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const umask = process.umask(0o022);
    try {
      const server = await createServer(loadSettings({ port: 0, dataDir, seedDemo: false }, {}), { logDestination: sink });
      cleanups.push(() => server.close());
      await server.listen();
      await createCompany(server.core, { name: 'Writes the WAL' });
    } finally {
      process.umask(umask);
    }
    expect(modeOf(dataDir).toString(8)).toBe('755');
    expect(modeOf(join(dataDir, 'notes.txt')).toString(8)).toBe('644');
    for (const file of readdirSync(dataDir).filter((f) => f !== 'notes.txt')) expect(modeOf(join(dataDir, file)).toString(8), file).toBe('600');
    const warnings = logs.filter((line) => line.level === 40 && String(line.msg).includes('not Tessera\'s'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ dataDir });
  });
});

describe('item 10: concurrency and aborted requests', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
    await makeAdmin(t, 'race-admin');
  });
  afterAll(async () => t?.close());

  it('six concurrent creations of one login id: one 201, five answers equal to a sequential duplicate, never a 500', async () => {
    const admin = new AdminClient(t.url);
    expect((await admin.signIn('race-admin')).status).toBe(200);
    const body = (loginId: string) => ({ loginId, password: 'correct horse battery' });
    const answers = await Promise.all(['racer@race.test', 'RACER@race.test', 'Racer@Race.test', 'racer@RACE.test', 'racer@race.TEST', 'rAcer@race.test']
      .map((loginId) => admin.post('/users', body(loginId))));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 400, 400, 400, 400, 400]);

    const sequential = await admin.post('/users', body('racer@race.test'));
    expect(sequential.status).toBe(400);
    expect(sequential.body).toMatchObject({ code: 400, error: 'invalid_request', fields: [{ field: 'loginId', message: 'this login id is taken' }] });
    for (const answer of answers.filter((a) => a.status === 400)) expect(answer.body).toEqual(sequential.body);
    expect(t.logs.filter((line) => (line.level as number) >= 50)).toEqual([]);
  });

  it('a client that closes the socket mid-body is logged as aborted (info, no stack) and not audited as a 500', async () => {
    const app = await makeApp(t);
    const correlationId = `aborts-${Date.now()}`;
    const port = Number(new URL(t.url).port);
    await new Promise<void>((resolve, reject) => {
      const socket = tcpConnect(port, '127.0.0.1', () => {
        socket.write([
          'POST /oauth2/v0/token HTTP/1.1', 'Host: localhost', 'Content-Type: application/x-www-form-urlencoded',
          'Content-Length: 200', `concur-correlationid: ${correlationId}`, '', `grant_type=client_credentials&client_id=${app.clientId}&client_sec`,
        ].join('\r\n'));
        setTimeout(() => { socket.destroy(); resolve(); }, 150);
      });
      socket.on('error', reject);
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await t.server.core.audit.flush();

    const own = t.logs.filter((line) => line.correlationId === correlationId);
    expect(own.map((line) => [line.level, line.msg])).toEqual([[30, 'request aborted by the client']]);
    expect(JSON.stringify(own)).not.toMatch(/stack|"err"/);
    expect(t.logs.filter((line) => (line.level as number) >= 50 || line.msg === 'malformed HTTP request')).toEqual([]);
    const audit = await t.server.core.store.audit.query({ action: 'token.refused', limit: 100 });
    expect(audit.items.filter((event) => event.correlationId === correlationId || event.code === 500)).toEqual([]);
  });
});

describe('item 10: a store connection reset is an outage, not a client abort', () => {
  it('a store call failing with ECONNRESET answers 500, logs at error level and audits the 500', async () => {
    const t = await startTestServer();
    cleanups.push(() => t.close());
    const app = await makeApp(t);
    // The real store, with one call failing the way a PostgreSQL socket reset does.
    const apps = t.server.core.store.apps;
    const getClient = apps.getClient.bind(apps);
    apps.getClient = async () => {
      throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -104, syscall: 'read' });
    };
    cleanups.push(() => { apps.getClient = getClient; });
    const correlationId = `store-reset-${Date.now()}`;
    const answer = await postToken(t.url, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret },
      { headers: { 'concur-correlationid': correlationId } });
    expect(answer.status).toBe(500);
    expect(answer.body).toMatchObject({ code: 500 });
    await t.server.core.audit.flush();

    const own = t.logs.filter((line) => line.correlationId === correlationId);
    expect(own.some((line) => line.level === 50 && line.msg === 'request failed')).toBe(true);
    expect(own.some((line) => line.msg === 'request aborted by the client')).toBe(false);
    const audit = await t.server.core.store.audit.query({ action: 'token.refused', limit: 100 });
    expect(audit.items.filter((event) => event.correlationId === correlationId).map((event) => event.code)).toEqual([500]);
  });
});

/** One raw HTTP/1.1 exchange over TLS (trusting `ca`) or TCP; answers what came back. */
function rawExchange(url: string, payload: string, ca?: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = ca ? tlsConnect({ host: hostname, port: Number(port), ca, servername: 'localhost' }) : tcpConnect(Number(port), hostname);
    let data = '';
    socket.on(ca ? 'secureConnect' : 'connect', () => socket.write(payload));
    socket.on('data', (chunk) => { data += chunk.toString('latin1'); });
    socket.on('end', () => resolve(data));
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
  });
}

const malformed = 'POST /oauth2/v0/token HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello';

describe('item 12: HSTS under HTTPS only', () => {
  let https: TestServer;
  let http: TestServer;
  let ca: string;
  beforeAll(async () => {
    [https, http] = await Promise.all([startTestServer({ settings: { https: true } }), startTestServer()]);
    ca = readFileSync(join(https.dataDir, 'localhost-cert.pem'), 'utf8');
  });
  afterAll(async () => Promise.all([https?.close(), http?.close()]));

  const answers = [
    { method: 'GET', path: '/healthz', status: 200 },
    { method: 'GET', path: '/.well-known/openid-configuration', status: 200 },
    { method: 'GET', path: '/no/such/path', status: 404 },
    { method: 'GET', path: '/profile/v1/me', status: 401 },
    { method: 'POST', path: '/oauth2/v0/token', status: 400, body: 'grant_type=client_credentials' },
    { method: 'GET', path: '/admin', status: 200 },
  ];

  it('every HTTPS answer carries Strict-Transport-Security, errors and malformed requests included', async () => {
    for (const { method, path, status, body } of answers) {
      const answer = await new Promise<{ status: number; hsts: unknown }>((resolve, reject) => {
        const req = httpsRequest(`${https.url}${path}`, { method, ca, headers: body ? { 'content-type': 'application/x-www-form-urlencoded' } : {} }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, hsts: res.headers['strict-transport-security'] }));
        });
        req.on('error', reject);
        req.end(body);
      });
      expect(answer, path).toEqual({ status, hsts: 'max-age=31536000' });
    }
    const raw = await rawExchange(https.url, malformed, ca);
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(raw).toMatch(/\r\nstrict-transport-security: max-age=31536000\r\n/i);
  });

  it('no plain-HTTP answer carries it', async () => {
    for (const { method, path, status, body } of answers) {
      const response = await fetch(`${http.url}${path}`, { method, ...(body ? { body, headers: { 'content-type': 'application/x-www-form-urlencoded' } } : {}) });
      expect(response.status, path).toBe(status);
      expect(response.headers.get('strict-transport-security'), path).toBeNull();
    }
    const raw = await rawExchange(http.url, malformed);
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(raw).not.toMatch(/strict-transport-security/i);
  });
});

describe('item 12: a correlation id once per log line', () => {
  it('the malformed-request line, request lines and node lines each name correlationId exactly once', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    const parent = mkdtempSync(join(tmpdir(), 'tessera-log-'));
    cleanups.push(() => rmSync(parent, { recursive: true, force: true }));
    const server = await createServer(loadSettings({ port: 0, dataDir: parent, seedDemo: false, logLevel: 'debug' }, {}), { logDestination: sink });
    const url = await server.listen();
    cleanups.push(() => server.close());

    expect(await rawExchange(url, malformed)).toMatch(/^HTTP\/1\.1 400 /);
    await fetch(`${url}/healthz`);
    await fetch(`${url}/no/such/path`);
    await fetch(`${url}/oauth2/v0/token`, { method: 'POST', body: 'grant_type=password', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    await new Promise((resolve) => setTimeout(resolve, 50));

    const malformedLines = lines.filter((line) => line.includes('malformed HTTP request'));
    expect(malformedLines).toHaveLength(1);
    expect(lines.length).toBeGreaterThan(4);
    for (const line of lines) expect(line.match(/"correlationId":/g), line).toHaveLength(1);
  });
});
