/**
 * Shared assertions and small HTTP helpers for the end-to-end suite: everything here
 * talks to a real server over loopback, never to the core directly, except fixtures and
 * store inspection that a test needs to prove "nothing changed".
 */
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { describeErrorCode } from 'tessera-protocol';
import type { TestServer } from './helpers.js';

export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

async function answer(response: Response): Promise<HttpAnswer> {
  const text = await response.text();
  let body: any;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body };
}

/** Any request to the server; `body` goes as is (a Buffer carries no content type). */
export async function send(
  url: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array; token?: string } = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const response = await fetch(`${url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  return answer(response);
}

/** POSTs a raw body to the token endpoint with the given content type (none when undefined). */
export function postRaw(url: string, body: string | Uint8Array, contentType: string | undefined, extra: Record<string, string> = {}) {
  const headers: Record<string, string> = { ...extra };
  if (contentType !== undefined) headers['content-type'] = contentType;
  return send(url, '/oauth2/v0/token', {
    method: 'POST', headers, body: typeof body === 'string' && contentType === undefined ? Buffer.from(body) : body,
  });
}

/**
 * Asserts a Concur error answer (docs/protocol.md §3, Decision 2): the status, the table's `error`
 * and (unless the server made it more precise) `error_description`, no-store, a correlation id,
 * and `WWW-Authenticate` on every 401 invalid_client.
 */
export function expectConcurError(
  res: { status: number; headers: Headers; body: any },
  code: number,
  options: { description?: string | RegExp; geolocation?: string } = {},
): void {
  const info = describeErrorCode(code);
  if (!info) throw new Error(`no such code ${code}`);
  expect({ status: res.status, code: res.body?.code, error: res.body?.error }).toEqual({ status: info.status, code, error: info.error });
  const description = options.description ?? info.description;
  if (typeof description === 'string') expect(res.body.error_description).toBe(description);
  else expect(res.body.error_description).toMatch(description);
  const expectedKeys = ['code', 'error', 'error_description', ...(options.geolocation ? ['geolocation'] : [])];
  expect(Object.keys(res.body).sort()).toEqual(expectedKeys.sort());
  if (options.geolocation) expect(res.body.geolocation).toBe(options.geolocation);
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.headers.get('concur-correlationid')).toBeTruthy();
  if (info.error === 'invalid_client' && info.status === 401) {
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
  } else if (res.status !== 401 && code !== 403) {
    // (a 401 names its scheme, a 403 insufficient_scope names the scope: RFC 6750 §3)
    expect(res.headers.get('www-authenticate')).toBeNull();
  }
}

/** Any 4xx Concur-shaped answer (for fuzzing): never a 5xx, always `{code, error, error_description}`. */
export function expectClientError(res: { status: number; headers: Headers; body: any }, context: string): void {
  expect(res.status, context).toBeGreaterThanOrEqual(400);
  expect(res.status, context).toBeLessThan(500);
  expect(typeof res.body?.code, context).toBe('number');
  expect(typeof res.body?.error, context).toBe('string');
  expect(typeof res.body?.error_description, context).toBe('string');
  expect(res.headers.get('concur-correlationid'), context).toBeTruthy();
}

/** The OIDC `at_hash` (left half of the hash, base64url) for an algorithm. */
export function atHash(alg: string, accessToken: string): string {
  const digest = createHash(alg === 'EdDSA' ? 'sha512' : 'sha256').update(accessToken).digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

/** Flips a company's `enabled` flag through the store (whichever backend the test server runs on). */
export async function setCompanyEnabled(t: TestServer, companyId: string, enabled: boolean): Promise<void> {
  expect(await t.server.core.store.companies.setEnabled(companyId, enabled)).toBe(true);
}

/** The form fields of a refresh. */
export const refreshForm = (clientId: string, clientSecret: string, refreshToken: string, extra: Record<string, string> = {}) => ({
  grant_type: 'refresh_token', client_id: clientId, client_secret: clientSecret, refresh_token: refreshToken, ...extra,
});

/** The form fields of a user password grant. */
export const passwordForm = (clientId: string, clientSecret: string, username: string, password: string, extra: Record<string, string> = {}) => ({
  grant_type: 'password', client_id: clientId, client_secret: clientSecret, username, password, ...extra,
});

/** The form fields of a company request-token conversion. */
export const authtokenForm = (clientId: string, clientSecret: string, companyUUID: string, requestToken: string, extra: Record<string, string> = {}) => ({
  grant_type: 'password', credtype: 'authtoken', client_id: clientId, client_secret: clientSecret,
  username: companyUUID, password: requestToken, ...extra,
});

export const DAY = 24 * 3600 * 1000;
