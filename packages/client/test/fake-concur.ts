/**
 * A scripted stand-in for the token service and the APIs, as an injectable `fetch`: tests of
 * behaviour no real server shows on demand (code 16, a number `expires_in`, a 503 storm).
 */
import { createHash } from 'node:crypto';
import type { FetchLike } from 'tessera-client';

export interface RecordedRequest {
  url: string;
  method: string;
  headers: Headers;
  form: URLSearchParams | undefined;
}

export type Responder = (request: RecordedRequest) => Response | Promise<Response>;

export function fakeFetch(responder: Responder): FetchLike & { requests: RecordedRequest[] } {
  const requests: RecordedRequest[] = [];
  const fetch = async (input: string | URL | Request, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    const body = typeof init.body === 'string' ? init.body : undefined;
    const request: RecordedRequest = {
      url: String(input), method: (init.method ?? 'GET').toUpperCase(), headers,
      form: headers.get('content-type')?.startsWith('application/x-www-form-urlencoded') && body ? new URLSearchParams(body) : undefined,
    };
    requests.push(request);
    return responder(request);
  };
  return Object.assign(fetch, { requests });
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/** An unsigned JWT with the given claims (the SDK reads claims, it does not verify). */
export function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

let counter = 0;
/** A token response as docs/protocol.md §2 shows it. */
export function tokenResponse(geolocation: string, overrides: Record<string, unknown> = {}) {
  counter += 1;
  const sub = '5b8e6c9d-9a55-4b2b-9d3c-2a3f8f2f0001';
  return {
    expires_in: '3600',
    scope: 'openid company.read',
    token_type: 'Bearer',
    access_token: jwt({ sub, 'concur.type': 'company', 'concur.scopes': ['openid', 'company.read'], n: counter }),
    refresh_token: `refresh-${counter}`,
    refresh_expires_in: 1_900_000_000,
    id_token: jwt({ sub, 'concur.type': 'company', aud: 'client' }),
    geolocation,
    ...overrides,
  };
}

/**
 * The same responders behind a real HTTP server on loopback (127.0.0.1, a free port): for flows
 * where a browser-like client follows redirects, and to exercise the SDK's real `fetch`.
 */
export async function startFakeConcur(responder: Responder): Promise<{ url: string; requests: RecordedRequest[]; close: () => Promise<void> }> {
  const { createServer } = await import('node:http');
  const requests: RecordedRequest[] = [];
  let base = '';
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const headers = new Headers();
      for (const [name, value] of Object.entries(incoming.headers)) if (typeof value === 'string') headers.set(name, value);
      const body = Buffer.concat(chunks).toString('utf8');
      const request: RecordedRequest = {
        url: `${base}${incoming.url ?? '/'}`, method: incoming.method ?? 'GET', headers,
        form: headers.get('content-type')?.startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(body) : undefined,
      };
      requests.push(request);
      void Promise.resolve(responder(request)).then(async (response) => {
        outgoing.writeHead(response.status, Object.fromEntries(response.headers));
        outgoing.end(Buffer.from(await response.arrayBuffer()));
      }, (error: unknown) => {
        outgoing.writeHead(500).end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    url: base, requests,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

const refusal = (code: number, error: string, description: string) => json(400, { code, error, error_description: description });
const userSub = '7d1c2b3a-0000-4000-8000-00000000beef';
const userTokens = (geolocation: string, nonce?: string) => tokenResponse(geolocation, {
  scope: 'openid user.read',
  access_token: jwt({ sub: userSub, 'concur.type': 'user', n: (counter += 1) }),
  id_token: jwt({ sub: userSub, 'concur.type': 'user', aud: 'client', ...(nonce ? { nonce } : {}) }),
});
const reservedOtp = new Set(['client_id', 'client_secret', 'channel_type', 'channel_handle', 'scope', 'grant_type', 'otp']);
const clientParams = (form: URLSearchParams) => [...form].filter(([name]) => !reservedOtp.has(name)).sort(([a], [b]) => a.localeCompare(b));

/**
 * A scripted user half of the service (docs/protocol.md §4, §5) for {@link startFakeConcur}:
 * `/authorize` approves at once (302 back with `code`, `state`, `geolocation`), the code is single
 * use and bound to the redirect URI and the S256 challenge; `/otp` "mails" a password that
 * {@link userFlows.otpFor} reads, and `grant_type=otp` demands the same client parameters.
 */
export function userFlows(geolocation: () => string) {
  const codes = new Map<string, { redirectUri: string; challenge: string | null; nonce: string | null }>();
  const otps = new Map<string, { otp: string; params: string }>();
  let next = 0;
  const responder: Responder = (request) => {
    const url = new URL(request.url);
    if (request.method === 'GET' && url.pathname === '/oauth2/v0/authorize') {
      const code = `code-${(next += 1)}`;
      const redirectUri = url.searchParams.get('redirect_uri')!;
      codes.set(code, { redirectUri, challenge: url.searchParams.get('code_challenge'), nonce: url.searchParams.get('nonce') });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      back.searchParams.set('geolocation', geolocation());
      return new Response(null, { status: 302, headers: { location: back.href } });
    }
    const form = request.form ?? new URLSearchParams();
    if (url.pathname === '/oauth2/v0/otp') {
      const otp = `dd-${(next += 1).toString(36).padStart(30, '0')}`;
      otps.set(form.get('channel_handle')!, { otp, params: JSON.stringify(clientParams(form)) });
      return json(200, { message: 'otp sent' });
    }
    if (url.pathname !== '/oauth2/v0/token') return json(404, { message: 'not found' });
    switch (form.get('grant_type')) {
      case 'authorization_code': {
        const issued = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        if (!issued) return refusal(103, 'invalid_grant', 'code is invalid or expired');
        if (issued.redirectUri !== form.get('redirect_uri')) return refusal(104, 'invalid_grant', 'redirect_uri mismatch');
        // RFC 7636 §4.6, computed here independently of the SDK.
        const s256 = createHash('sha256').update(form.get('code_verifier') ?? '', 'ascii').digest('base64url');
        if (issued.challenge && s256 !== issued.challenge) {
          return refusal(103, 'invalid_grant', 'code_verifier does not match the code_challenge');
        }
        return json(200, userTokens(geolocation(), issued.nonce ?? undefined));
      }
      case 'otp': {
        const open = otps.get(form.get('channel_handle') ?? '');
        if (!open || open.otp !== form.get('otp')) return refusal(81, 'invalid_grant', 'otp is invalid or expired');
        if (open.params !== JSON.stringify(clientParams(form))) return refusal(83, 'invalid_grant', 'parameters differ from the /otp request');
        otps.delete(form.get('channel_handle')!);
        return json(200, userTokens(geolocation()));
      }
      case 'refresh_token':
        return json(200, userTokens(geolocation()));
      default:
        return refusal(60, 'unsupported_grant_type', 'grant not allowed');
    }
  };
  return { responder, otpFor: (email: string) => otps.get(email)?.otp };
}
