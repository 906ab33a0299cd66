/**
 * The CLI against a real `tessera serve --https` (self-signed certificate): an untrusted
 * certificate fails at once with a TLS explanation and no retry; `--ca FILE`, an environment's
 * stored `--ca`, and NODE_EXTRA_CA_CERTS each make it work; `serve` prints where the certificate is.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binPath, cli, tempHome } from './run-cli.js';

interface Served {
  url: string;
  certificate: string;
  clientId: string;
  clientSecret: string;
  companyUUID: string;
  requestToken: string;
  adminLoginId: string;
  adminPassword: string;
}

/** Starts `tessera serve --https` on a fresh data dir; answers what its first start printed. */
function serveHttps(dataDir: string): Promise<{ child: ChildProcess; served: Served }> {
  const child = spawn(process.execPath, [binPath, 'serve', '--https', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir],
    { stdio: ['ignore', 'ignore', 'pipe'], env: Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('TESSERA_') && key !== 'NODE_OPTIONS')) });
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      child.kill(); // a server that never said it was ready must not outlive the test run
      reject(new Error(`serve did not start:\n${text}`));
    }, 30_000);
    child.on('exit', (code) => reject(new Error(`serve exited ${code}:\n${text}`)));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      if (!/-d password=at-\S+/.test(text)) return;
      clearTimeout(timer);
      const pick = (pattern: RegExp) => {
        const match = pattern.exec(text);
        if (!match) throw new Error(`not in serve's output: ${pattern}\n${text}`);
        return match[1]!;
      };
      resolve({
        child,
        served: {
          url: pick(/listening at (https:\/\/\S+)/),
          certificate: pick(/certificate: (\S+localhost-cert\.pem) \(self-signed\)/),
          clientId: pick(/clientId +(\S+)/),
          clientSecret: pick(/clientSecret +(\S+)/),
          companyUUID: pick(/companyUUID +(\S+)/),
          requestToken: pick(/company request token +(at-\S+)/),
          adminLoginId: pick(/administrator login id +(\S+)/),
          adminPassword: pick(/administrator password +(\S+)/),
        },
      });
    });
  });
}

/** A TCP relay to `target` that counts the connections made through it (each attempt is one). */
function countingRelay(target: URL): Promise<{ url: string; connections: () => number; close: () => void }> {
  let count = 0;
  const relay: Server = createServer((socket) => {
    count++;
    const upstream = createConnection(Number(target.port), target.hostname);
    socket.pipe(upstream).pipe(socket);
    const end = () => { socket.destroy(); upstream.destroy(); };
    socket.on('error', end);
    upstream.on('error', end);
  });
  return new Promise((resolve) => relay.listen(0, '127.0.0.1', () => {
    const { port } = relay.address() as { port: number };
    resolve({ url: `https://127.0.0.1:${port}`, connections: () => count, close: () => relay.close() });
  }));
}

describe('the CLI and a self-signed `tessera serve --https`', { timeout: 90_000 }, () => {
  let dataDir: string;
  let child: ChildProcess;
  let served: Served;
  let home: string;
  let removeHome: () => void;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-https-'));
    ({ child, served } = await serveHttps(dataDir));
    ({ home, remove: removeHome } = tempHome());
  });

  afterAll(() => {
    child?.kill('SIGTERM');
    removeHome?.();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('fails at once with what is wrong and how to trust it, without retrying; --ca FILE then works', async () => {
    const relay = await countingRelay(new URL(served.url));
    try {
      const added = await cli(home, ['env', 'add', 'local', '--datacenter', relay.url, '--client-id', served.clientId,
        '--company-uuid', served.companyUUID, '--client-secret-stdin'], { input: served.clientSecret });
      expect(added.code, added.stderr).toBe(0);

      const refused = await cli(home, ['token', 'convert', '--env', 'local', '--request-token-stdin'], { input: served.requestToken });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('self-signed (DEPTH_ZERO_SELF_SIGNED_CERT)');
      expect(refused.stderr).toContain('does not retry');
      expect(refused.stderr).toContain('--ca FILE');
      expect(refused.stderr).toContain('NODE_EXTRA_CA_CERTS');
      expect(refused.stderr).not.toMatch(/check the network|retrying/);
      expect(relay.connections()).toBe(1);

      // The request token was not spent: with the certificate trusted, the same one converts.
      const converted = await cli(home, ['--ca', served.certificate, 'token', 'convert', '--env', 'local', '--request-token-stdin', '--json'],
        { input: served.requestToken });
      expect(converted.code, converted.stderr).toBe(0);
      expect(JSON.parse(converted.stdout)).toMatchObject({ converted: 'local' });
    } finally {
      relay.close();
    }
  });

  it('NODE_EXTRA_CA_CERTS and an environment stored with --ca both work; without them the token is refused as TLS', async () => {
    // The geolocation is the served URL; refreshing goes there.
    const untrusted = await cli(home, ['token', 'get', '--env', 'local']);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');

    const viaNode = await cli(home, ['token', 'get', '--env', 'local'], { env: { NODE_EXTRA_CA_CERTS: served.certificate } });
    expect(viaNode.code, viaNode.stderr).toBe(0);
    expect(viaNode.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);

    const stored = await cli(home, ['env', 'add', 'local', '--force', '--datacenter', served.url, '--client-id', served.clientId,
      '--ca', served.certificate, '--client-secret-stdin'], { input: served.clientSecret });
    expect(stored.code, stored.stderr).toBe(0);
    const viaEnvironment = await cli(home, ['call', '/profile/v1/me', '--env', 'local']);
    expect(viaEnvironment.code, viaEnvironment.stderr).toBe(0);
    expect(JSON.parse(viaEnvironment.stdout)).toMatchObject({ id: served.companyUUID });
  });

  it('admin --server: a TLS explanation without the CA; --ca (after the subcommand too) signs in', async () => {
    const refused = await cli(home, ['admin', '--server', served.url, 'login', '--login-id', served.adminLoginId, '--password-stdin'], { input: served.adminPassword });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(refused.stderr).toContain('--ca FILE');
    const login = await cli(home, ['admin', '--server', served.url, '--ca', served.certificate, 'login', '--login-id', served.adminLoginId, '--password-stdin'],
      { input: served.adminPassword });
    expect(login.code, login.stderr).toBe(0);
  });

  it('a usage error of commander itself exits 2; --help and --version exit 0', async () => {
    for (const args of [['token', 'get', '--bogus'], ['env', 'add'], ['env', 'add', 'x', '--datacenter'], ['env', 'add', 'x', '--client-id', 'y'],
      ['frobnicate'], ['env', 'use', 'a', 'b'], ['--ca']]) {
      const result = await cli(home, args);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(/^error: /);
    }
    expect((await cli(home, ['--help'])).code).toBe(0);
    expect((await cli(home, ['token', '--help'])).code).toBe(0);
    expect((await cli(home, ['--version'])).code).toBe(0);
  });
});
