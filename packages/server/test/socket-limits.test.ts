/**
 * every socket has a time limit and one address a ceiling of open connections.
 * Proved with raw sockets (net.connect): a request whose headers or body stall is answered 408
 * and closed within the configured time; the connection past the ceiling is closed at once while
 * another address is still served.
 */
import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSettings } from 'tessera-server';
import { startTestServer, type TestServer } from './helpers.js';
import { connectionKey } from '../src/http/connection-ceiling.js';

/** A raw connection to the test server, optionally from another loopback address. */
function open(t: TestServer, localAddress?: string): Promise<Socket> {
  const { port } = new URL(t.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: Number(port), ...(localAddress ? { localAddress } : {}) }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves with what the server sent and how long until it closed the socket (rejects after `limitMs`). */
function untilClosed(socket: Socket, limitMs: number): Promise<{ text: string; ms: number }> {
  const started = Date.now();
  let text = '';
  socket.on('data', (chunk) => { text += String(chunk); });
  socket.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socket still open after ${limitMs} ms`)), limitMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ text, ms: Date.now() - started });
    });
  });
}

/** One complete request on a fresh socket; answers the status line. */
async function statusLine(t: TestServer, localAddress?: string): Promise<string> {
  const socket = await open(t, localAddress);
  socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
  const { text } = await untilClosed(socket, 5000);
  return text.split('\r\n')[0]!;
}

describe('socket limits', () => {
  let t: TestServer | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await t?.close();
    t = undefined;
  });

  it('closes a connection whose headers stall, with a 408, within the headers timeout', async () => {
    t = await startTestServer({ settings: { headersTimeoutSeconds: 1, requestTimeoutSeconds: 2 } });
    const socket = await open(t);
    sockets.push(socket);
    socket.write('POST /oauth2/v0/token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n');
    const { text, ms } = await untilClosed(socket, 4000);
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(text).toContain('"code":408');
    expect(text).toMatch(/concur-correlationid: /i);
  });

  it('does the same over HTTPS', async () => {
    t = await startTestServer({ settings: { https: true, headersTimeoutSeconds: 1, requestTimeoutSeconds: 2 } });
    const { port } = new URL(t.url);
    const socket = await new Promise<Socket>((resolve, reject) => {
      const tls = connectTls({ host: '127.0.0.1', port: Number(port), rejectUnauthorized: false }, () => resolve(tls));
      tls.once('error', reject);
    });
    sockets.push(socket);
    socket.write('POST /oauth2/v0/token HTTP/1.1\r\nHost: localhost\r\n');
    const { text, ms } = await untilClosed(socket, 4000);
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes a connection that opens and sends nothing', async () => {
    t = await startTestServer({ settings: { headersTimeoutSeconds: 1, requestTimeoutSeconds: 2 } });
    const socket = await open(t);
    sockets.push(socket);
    const { ms } = await untilClosed(socket, 4000);
    expect(ms).toBeGreaterThanOrEqual(900);
  });

  it('closes a connection whose body stalls, with a 408, within the request timeout', async () => {
    t = await startTestServer({ settings: { headersTimeoutSeconds: 1, requestTimeoutSeconds: 2 } });
    const socket = await open(t);
    sockets.push(socket);
    socket.write('POST /oauth2/v0/token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=');
    // A trickle keeps the socket busy but does not extend the request's time.
    const trickle = setInterval(() => socket.write('x'), 300);
    try {
      const { text, ms } = await untilClosed(socket, 5000);
      expect(ms).toBeGreaterThanOrEqual(1900);
      expect(text).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      clearInterval(trickle);
    }
  });

  it('closes the connection past the per-address ceiling at once; other addresses and freed slots still work', async () => {
    t = await startTestServer({ settings: { maxConnectionsPerAddress: 3 } });
    for (let i = 0; i < 3; i++) sockets.push(await open(t));
    const extra = await open(t);
    sockets.push(extra);
    const { text, ms } = await untilClosed(extra, 2000);
    expect(text).toBe('');
    expect(ms).toBeLessThan(1000);
    expect(await statusLine(t, '127.0.0.2')).toBe('HTTP/1.1 200 OK');

    sockets.shift()!.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await statusLine(t)).toBe('HTTP/1.1 200 OK');
  });

  it('has sane defaults and refuses a headers timeout longer than the request timeout', () => {
    const settings = loadSettings({}, {});
    expect(settings).toMatchObject({
      headersTimeoutSeconds: 10, requestTimeoutSeconds: 30, keepAliveTimeoutSeconds: 72, socketIdleTimeoutSeconds: 120, maxConnectionsPerAddress: 256,
    });
    expect(loadSettings({}, { TESSERA_MAX_CONNECTIONS_PER_ADDRESS: '0' }).maxConnectionsPerAddress).toBe(0);
    expect(() => loadSettings({ headersTimeoutSeconds: 40 }, {})).toThrow(/headersTimeoutSeconds/);
  });
});

describe('connectionKey: what the per-address ceiling counts together', () => {
  it('an IPv6 address by its /64 (every spelling alike), IPv4 and IPv4-mapped addresses exactly', () => {
    const prefix = '2001:db8:85a3:1::/64';
    for (const address of ['2001:db8:85a3:1::1', '2001:0db8:85a3:0001:ffff:ffff:ffff:ffff', '2001:DB8:85A3:1:0:0:0:2', '2001:db8:85a3:1::1%eth0', '2001:db8:85a3:1::1.2.3.4']) {
      expect(connectionKey(address), address).toBe(prefix);
    }
    expect(connectionKey('2001:db8:85a3:2::1')).toBe('2001:db8:85a3:2::/64');
    expect(connectionKey('::1')).toBe('0:0:0:0::/64');
    expect(connectionKey('fe80::1')).toBe('fe80:0:0:0::/64');
    expect(connectionKey('203.0.113.7')).toBe('203.0.113.7');
    expect(connectionKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(connectionKey('203.0.113.8')).not.toBe(connectionKey('203.0.113.7'));
    expect(connectionKey('unknown')).toBe('unknown');
  });
});
