/**
 * The SDK against a real Tessera over HTTPS with its self-signed certificate: an untrusted
 * certificate is `ERR_TLS`, named by Node's code, after one attempt (never retried), for the
 * global fetch (self-signed) and for an injected fetch that trusts the certificate but asks for
 * another host name.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConcurError, MemoryTokenStore, TokenManager, type FetchLike, type RetryEvent } from 'tessera-client';
import { startTestServer, type TestServer } from '../../server/test/helpers.js';

describe('TLS errors', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ settings: { https: true } });
  });
  afterAll(() => t?.close());

  const convert = async (fetch?: FetchLike) => {
    const retries: RetryEvent[] = [];
    let attempts = 0;
    const counted: FetchLike = (input, init) => {
      attempts++;
      return (fetch ?? globalThis.fetch)(input, init);
    };
    const manager = new TokenManager({
      clientId: '00000000-0000-4000-8000-000000000000', clientSecret: 'x', datacenter: t.url, store: new MemoryTokenStore(),
      fetch: counted, retry: { retries: 3, minDelayMs: 1, onRetry: (event) => retries.push(event) },
    });
    const error = await manager.convertRequestToken(t.companyId, 'at-x').then(() => undefined, (e: unknown) => e);
    return { error, retries, attempts };
  };

  it('a self-signed certificate: ERR_TLS after one attempt', async () => {
    const { error, retries, attempts } = await convert();
    expect(error).toBeInstanceOf(ConcurError);
    expect((error as ConcurError).code).toBe('ERR_TLS');
    expect((error as ConcurError).message).toContain('self-signed (DEPTH_ZERO_SELF_SIGNED_CERT)');
    expect(retries).toEqual([]);
    expect(attempts).toBe(1);
  });

  it('a certificate for another host name: ERR_TLS after one attempt', async () => {
    const ca = readFileSync(join(t.dataDir, 'localhost-cert.pem'), 'utf8');
    const otherName: FetchLike = (input, init) => new Promise((resolve, reject) => {
      const sent = request(String(input), { method: init?.method ?? 'GET', ca, servername: 'tessera.example.com' }, (res) => {
        res.resume();
        resolve(new Response(null, { status: res.statusCode ?? 500 }));
      });
      sent.on('error', reject);
      sent.end();
    });
    const { error, retries, attempts } = await convert(otherName);
    expect((error as ConcurError).code).toBe('ERR_TLS');
    expect((error as ConcurError).message).toContain('another host name (ERR_TLS_CERT_ALTNAME_INVALID)');
    expect(retries).toEqual([]);
    expect(attempts).toBe(1);
  });
});
