/**
 * The console's only way to the server: the admin API under /admin/api, with the session cookie
 * and the session's CSRF token on every state-changing request.
 */

let csrfToken = null;
let onSignedOut = () => {};
let lastActivity = Date.now();

/** An error answer of the API, in the Concur format `{code, error, error_description, fields?}`. */
export class ApiError extends Error {
  constructor(status, body, correlationId) {
    super(body?.error_description ?? `the server answered ${status}`);
    this.status = status;
    this.code = body?.code;
    this.error = body?.error;
    this.fields = Array.isArray(body?.fields) ? body.fields : [];
    this.correlationId = correlationId;
  }
}

/** Sets the CSRF token for the next requests (from GET /admin/api/session or sign-in). */
export function setCsrfToken(token) {
  csrfToken = token;
}

/** Called when a request answers 401 (the session ended: idle timeout, sign-out elsewhere). */
export function onSessionEnded(handler) {
  onSignedOut = handler;
}

/** When the last request was made (for the idle timer). */
export const lastRequestAt = () => lastActivity;

/** Calls the admin API; answers the parsed JSON (null for 204); throws `ApiError`. */
export async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  if (body !== undefined) headers['content-type'] = 'application/json';
  lastActivity = Date.now();
  const response = await fetch(`/admin/api${path}`, {
    method, headers, credentials: 'same-origin', cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new ApiError(response.status, data, response.headers.get('concur-correlationid'));
    if (response.status === 401 && !path.startsWith('/session')) onSignedOut(error);
    throw error;
  }
  return data;
}

/** A query string from an object, leaving out empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
