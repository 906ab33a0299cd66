/**
 * A scripted stand-in for the token service and the APIs, as an injectable `fetch`: tests of
 * behaviour no real server shows on demand (code 16, a number `expires_in`, a 503 storm).
 */
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
