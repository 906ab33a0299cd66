/**
 * Connecting a user with the SDK (docs/protocol.md §4, §5): the authorization URL with PKCE S256,
 * the state check, the code and one-time-password exchanges storing the connection like a
 * conversion, code 16 followed — against a scripted service on real loopback HTTP.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConcurError, FileTokenStore, MemoryTokenStore, readAuthorizationResponse, TokenManager, type TokenStore } from 'tessera-client';
import { json, startFakeConcur, userFlows } from './fake-concur.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function service() {
  let url = '';
  const flows = userFlows(() => url);
  const server = await startFakeConcur(flows.responder);
  url = server.url;
  cleanups.push(server.close);
  return { ...server, ...flows };
}

const redirectUri = 'http://127.0.0.1:8252/callback';
const managerAt = (datacenter: string, store: TokenStore = new MemoryTokenStore(), extra = {}) =>
  new TokenManager({ clientId: 'client', clientSecret: 'secret', datacenter, store, retry: false, ...extra });

/** What a browser does with the URL at the scripted service: follow to the redirect back. */
async function approve(url: string): Promise<URLSearchParams> {
  const response = await fetch(url, { redirect: 'manual' });
  expect(response.status).toBe(302);
  return new URL(response.headers.get('location')!).searchParams;
}

describe('authorizationUrl', () => {
  it('asks for a code with PKCE S256 and random state and nonce, at the datacenter', () => {
    const request = managerAt('http://127.0.0.1:9').authorizationUrl({ redirectUri, scope: ['openid', 'user.read'], prompt: 'consent' });
    const url = new URL(request.url);
    expect(`${url.origin}${url.pathname}`).toBe('http://127.0.0.1:9/oauth2/v0/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: 'client', redirect_uri: redirectUri, response_type: 'code', scope: 'openid user.read',
      state: request.state, nonce: request.nonce, prompt: 'consent',
      code_challenge: createHash('sha256').update(request.codeVerifier).digest('base64url'), code_challenge_method: 'S256',
    });
    // RFC 7636 §4.1: 43–128 unreserved characters; 32 random bytes give 43.
    expect(request.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(request.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const again = managerAt('http://127.0.0.1:9').authorizationUrl({ redirectUri });
    expect(again.state).not.toBe(request.state);
    expect(again.nonce).not.toBe(request.nonce);
    expect(again.codeVerifier).not.toBe(request.codeVerifier);
    expect(new URL(again.url).searchParams.has('scope')).toBe(false);
  });

  it('keeps a given state and nonce, and sends browsers to the www- host of a Concur datacenter', () => {
    const request = managerAt('us2').authorizationUrl({ redirectUri, state: 'my-state', nonce: 'my-nonce' });
    expect(request).toMatchObject({ state: 'my-state', nonce: 'my-nonce' });
    expect(request.url.startsWith('https://www-us2.api.concursolutions.com/oauth2/v0/authorize?')).toBe(true);
  });
});

describe('exchangeCode', () => {
  it('exchanges the code with the verifier and stores the user connection in a file like a conversion', async () => {
    const s = await service();
    const dir = mkdtempSync(join(tmpdir(), 'tessera-sdk-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const store = new FileTokenStore(join(dir, 'connection.json'));
    const manager = managerAt(s.url, store);
    const request = manager.authorizationUrl({ redirectUri, scope: 'openid user.read' });
    const back = readAuthorizationResponse(await approve(request.url), request.state);
    const token = await manager.exchangeCode({ code: back.code, redirectUri, codeVerifier: request.codeVerifier, state: back.state, expectedState: request.state });

    const exchange = s.requests.find((r) => r.form?.get('grant_type') === 'authorization_code')!;
    expect(Object.fromEntries(exchange.form!)).toEqual({
      grant_type: 'authorization_code', code: back.code, redirect_uri: redirectUri, code_verifier: request.codeVerifier,
      client_id: 'client', client_secret: 'secret',
    });
    expect(token.principal).toEqual({ type: 'user', id: expect.any(String) });
    const saved = JSON.parse(readFileSync(store.path, 'utf8'));
    expect(saved).toMatchObject({ geolocation: s.url, principal: { type: 'user' }, scopes: ['openid', 'user.read'] });
    expect(saved.refreshToken).toMatch(/^refresh-/);
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    // From then on the access token comes from the stored refresh token.
    manager.forgetAccessToken();
    await manager.getAccessToken();
    expect(s.requests.at(-1)!.form?.get('grant_type')).toBe('refresh_token');
  });

  it('refuses a redirect whose state is not the one sent, without spending the code', async () => {
    const s = await service();
    const manager = managerAt(s.url);
    const request = manager.authorizationUrl({ redirectUri });
    const back = await approve(request.url);
    for (const state of ['forged', undefined]) {
      const error = await manager.exchangeCode({ code: back.get('code')!, redirectUri, codeVerifier: request.codeVerifier, state, expectedState: request.state })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConcurError);
      expect((error as ConcurError).code).toBe('ERR_STATE_MISMATCH');
    }
    expect(() => readAuthorizationResponse(back, 'another')).toThrow(expect.objectContaining({ code: 'ERR_STATE_MISMATCH' }));
    expect(s.requests.filter((r) => r.url.endsWith('/oauth2/v0/token'))).toHaveLength(0);
    expect(await manager.connection()).toBeUndefined();
  });

  it('reads a denial as ERR_AUTHORIZATION_DENIED', () => {
    const denied = new URLSearchParams({ error_code: 'user_denied', error_description: 'The user denied your request', state: 's' });
    expect(() => readAuthorizationResponse(denied, 's')).toThrow(expect.objectContaining({ code: 'ERR_AUTHORIZATION_DENIED', error: 'user_denied' }));
    const disabled = new URLSearchParams({ error_code: '', error_description: '', state: 's' });
    expect(() => readAuthorizationResponse(disabled, 's')).toThrow(/no reason; the app may be disabled/);
  });

  it('is refused with the wrong verifier (the service checks S256 of the verifier)', async () => {
    const s = await service();
    const manager = managerAt(s.url);
    const request = manager.authorizationUrl({ redirectUri });
    const back = await approve(request.url);
    const error = await manager.exchangeCode({ code: back.get('code')!, redirectUri, codeVerifier: `${request.codeVerifier}x` }).catch((e: unknown) => e);
    expect((error as ConcurError).concurCode).toBe(103);
    expect(await manager.connection()).toBeUndefined();
  });

  it('sends no client_secret for a public app', async () => {
    const s = await service();
    const manager = new TokenManager({ clientId: 'public-client', datacenter: s.url, retry: false });
    const request = manager.authorizationUrl({ redirectUri });
    const back = await approve(request.url);
    await manager.exchangeCode({ code: back.get('code')!, redirectUri, codeVerifier: request.codeVerifier });
    const form = s.requests.find((r) => r.form?.get('grant_type') === 'authorization_code')!.form!;
    expect(form.get('client_id')).toBe('public-client');
    expect(form.has('client_secret')).toBe(false);
  });

  it('follows code 16 to the returned geolocation and stores that one', async () => {
    const home = await service();
    const landing = await startFakeConcur(() => json(400, { code: 16, error: 'invalid_request', error_description: 'user lives elsewhere', geolocation: home.url }));
    cleanups.push(landing.close);
    const manager = managerAt(landing.url);
    const request = manager.authorizationUrl({ redirectUri });
    const back = await approve(request.url.replace(landing.url, home.url));
    await manager.exchangeCode({ code: back.get('code')!, redirectUri, codeVerifier: request.codeVerifier });
    expect(landing.requests.map((r) => r.form?.get('grant_type'))).toEqual(['authorization_code']);
    expect((await manager.connection())?.geolocation).toBe(home.url);
  });
});

describe('one-time passwords', () => {
  it('sends the client parameters identically to /otp and to the otp grant, and stores the connection', async () => {
    const s = await service();
    const manager = managerAt(s.url);
    const params = { name: 'Ann', company: 'Acme', link: 'https://app.example/otp', plan: 'gold' };
    expect(await manager.requestOtp({ email: 'ann@example.com', params })).toEqual({ message: 'otp sent', geolocation: s.url });
    const otp = s.otpFor('ann@example.com')!;
    expect(otp).toMatch(/^dd-[a-z0-9]{30}$/);
    const token = await manager.exchangeOtp({ email: 'ann@example.com', otp, params });

    const [sent, exchanged] = s.requests.map((r) => Object.fromEntries(r.form!));
    expect(sent).toEqual({ ...params, channel_type: 'email', channel_handle: 'ann@example.com', client_id: 'client', client_secret: 'secret' });
    expect(exchanged).toEqual({ ...sent, grant_type: 'otp', otp });
    expect(token.principal?.type).toBe('user');
    expect(await manager.connection()).toMatchObject({ geolocation: s.url, principal: { type: 'user' } });
  });

  it('is refused when the parameters differ, and refuses reserved names before sending anything', async () => {
    const s = await service();
    const manager = managerAt(s.url);
    await manager.requestOtp({ email: 'ann@example.com', params: { plan: 'gold' } });
    const error = await manager.exchangeOtp({ email: 'ann@example.com', otp: s.otpFor('ann@example.com')!, params: { plan: 'silver' } }).catch((e: unknown) => e);
    expect((error as ConcurError).concurCode).toBe(83);
    expect(await manager.connection()).toBeUndefined();
    const count = s.requests.length;
    await expect(manager.requestOtp({ email: 'ann@example.com', params: { channel_handle: 'bob@example.com' } })).rejects.toThrow(TypeError);
    await expect(manager.exchangeOtp({ email: 'ann@example.com', otp: 'dd-x', params: { otp: 'dd-y' } })).rejects.toThrow(TypeError);
    expect(s.requests).toHaveLength(count);
  });

  it('follows code 16 on both calls', async () => {
    const home = await service();
    const landing = await startFakeConcur(() => json(400, { code: 16, error: 'invalid_request', error_description: 'user lives elsewhere', geolocation: home.url }));
    cleanups.push(landing.close);
    const manager = managerAt(landing.url);
    await manager.requestOtp({ email: 'ann@example.com' });
    await manager.exchangeOtp({ email: 'ann@example.com', otp: home.otpFor('ann@example.com')! });
    expect(landing.requests.map((r) => new URL(r.url).pathname)).toEqual(['/oauth2/v0/otp', '/oauth2/v0/token']);
    expect((await manager.connection())?.geolocation).toBe(home.url);
  });
});
