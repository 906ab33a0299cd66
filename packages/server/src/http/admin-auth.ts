/**
 * Authentication of admin API requests: a Bearer admin token (`POST /admin/api/token`; no other
 * token is taken), or the console's session cookie plus, on every state-changing request, the
 * CSRF token bound to that session in the `X-CSRF-Token` header.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../core/context.js';
import { Refusals } from 'tessera-protocol';
import { ConcurError } from '../core/errors.js';
import { adminFromAdminToken, csrfMatches, csrfTokenFor, resumeSession, type AdminSessionIdentity } from '../core/sessions.js';
import { expiredCookie, readCookies, serializeCookie } from './cookies.js';

/** The console session cookie (HttpOnly, SameSite=Strict, Secure over HTTPS, path /admin). */
export const SessionCookie = 'tessera_admin';
/** The pre-session cookie the sign-in form's CSRF token is bound to. */
export const SignInCookie = 'tessera_sign_in';
/** The header that carries the CSRF token. */
export const CsrfHeader = 'x-csrf-token';
export const CookiePath = '/admin';

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether cookies of this request must be Secure (it came over HTTPS). */
export const isSecure = (request: FastifyRequest): boolean => request.protocol === 'https';

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, name: string, value: string, maxAge?: number): void {
  void reply.header('set-cookie', serializeCookie(name, value, {
    path: CookiePath, secure: isSecure(request), ...(maxAge === undefined ? {} : { maxAge }),
  }));
}

/** Removes a cookie (Fastify appends every `set-cookie` header). */
export function clearCookie(request: FastifyRequest, reply: FastifyReply, name: string): void {
  void reply.header('set-cookie', expiredCookie(name, { path: CookiePath, secure: isSecure(request) }));
}

/** The value of a cookie of the request. */
export const cookieOf = (request: FastifyRequest, name: string): string | undefined => readCookies(request.headers.cookie).get(name);

const signInRequired = () => new ConcurError(Refusals.adminSignInRequired, {
  headers: { 'www-authenticate': 'Bearer realm="tessera-admin"' },
});

/** The administrator behind a request; 401 when there is none, 403 for a missing or wrong CSRF token. */
export async function authenticateAdminRequest(core: Core, request: FastifyRequest): Promise<AdminSessionIdentity> {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const match = authorization.match(/^Bearer\s+([A-Za-z0-9._~+/-]+=*)\s*$/i);
    if (!match) throw signInRequired();
    return adminFromAdminToken(core, match[1]!);
  }
  const sessionId = cookieOf(request, SessionCookie);
  const resumed = sessionId ? await resumeSession(core, sessionId) : undefined;
  if (!sessionId || !resumed) throw signInRequired();
  if (!safeMethods.has(request.method)) {
    const presented = request.headers[CsrfHeader];
    if (!csrfMatches(csrfTokenFor(core, sessionId), typeof presented === 'string' ? presented : undefined)) {
      throw new ConcurError(Refusals.csrfTokenRejected);
    }
  }
  return resumed.identity;
}
