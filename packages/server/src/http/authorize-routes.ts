/**
 * `GET /oauth2/v0/authorize` with its sign-in and consent pages, and "My connected apps" at
 * `/account/connected-apps` (docs/protocol.md §4, Decision 15). The rules live in core
 * (core/authorize.ts, core/consents.ts); these routes read forms and cookies and render pages.
 *
 * Every POST carries a CSRF token: the sign-in forms one bound to a pre-session cookie (against
 * login CSRF), the consent form one bound to the user session and the pending request, the
 * account forms one bound to the user session. The pending request travels sealed (encrypted and
 * authenticated with the server key) in a hidden field: nothing the browser sends is trusted.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Paths } from 'tessera-protocol';
import {
  appOfPendingRequest, approveRequest, checkAuthorizeRequest, denyRequest, needsConsent, openRequest, promptNoneLocation,
  sealRequest, signInUser, userMayUseApp, errorLocation, type AuthorizeRequest,
} from '../core/authorize.js';
import { listConnectedApps, signInToAccount, withdrawConsent } from '../core/consents.js';
import type { Core, RequestMeta } from '../core/context.js';
import { ConcurError } from '../core/errors.js';
import type { App } from '../core/model.js';
import {
  csrfMatches, endUserSession, resumeUserSession, startUserSession, userCsrfToken, userSignInCsrfToken, type UserSession,
} from '../core/user-sessions.js';
import { isSecure } from './admin-auth.js';
import { expiredCookie, readCookies, serializeCookie } from './cookies.js';
import { consentPage, connectedAppsPage, errorPage, formTargetOf, signInPage, userPageHeaders } from './user-pages.js';

export const AuthorizePath = Paths.authorize;
export const AccountPath = '/account';
export const ConnectedAppsPath = '/account/connected-apps';

/** The user session cookie: HttpOnly, SameSite=Lax, Secure over HTTPS, sent only to the `/authorize` pages and `/account`. */
export const UserSessionCookie = 'tessera_user';
const userSessionPaths = [AuthorizePath, AccountPath];
/** The pre-session cookie the sign-in forms' CSRF token is bound to (Strict, path of its form). */
export const UserSignInCookie = 'tessera_user_sign_in';

const meta = (request: FastifyRequest): RequestMeta => ({ correlationId: request.id, ip: request.ip });
const cookieOf = (request: FastifyRequest, name: string) => readCookies(request.headers.cookie).get(name);

/** The form of a POST, or undefined when the body is not a form. */
function formOf(request: FastifyRequest): Record<string, string> | undefined {
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded' || typeof request.body !== 'object' || request.body === null) return undefined;
  return request.body as Record<string, string>;
}

function page(reply: FastifyReply, status: number, html: string, formTargets: readonly string[] = []) {
  return reply.code(status).headers(userPageHeaders(formTargets)).send(html);
}

const redirect = (reply: FastifyReply, location: string, status = 302) =>
  reply.code(status).headers({ location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }).send();

function setUserSession(request: FastifyRequest, reply: FastifyReply, sessionId: string, maxAge: number) {
  for (const path of userSessionPaths) {
    void reply.header('set-cookie', serializeCookie(UserSessionCookie, sessionId, { path, secure: isSecure(request), sameSite: 'Lax', maxAge }));
  }
}

function clearUserSession(request: FastifyRequest, reply: FastifyReply) {
  for (const path of userSessionPaths) void reply.header('set-cookie', expiredCookie(UserSessionCookie, { path, secure: isSecure(request), sameSite: 'Lax' }));
}

/** A new pre-session cookie on `path` and the sign-in CSRF token bound to it. */
function newSignInCsrf(core: Core, request: FastifyRequest, reply: FastifyReply, path: string): string {
  const nonce = randomBytes(32).toString('base64url');
  void reply.header('set-cookie', serializeCookie(UserSignInCookie, nonce, { path, secure: isSecure(request) }));
  return userSignInCsrfToken(core, nonce);
}

function signInCsrfHolds(core: Core, request: FastifyRequest, form: Record<string, string>): boolean {
  const nonce = cookieOf(request, UserSignInCookie);
  return !!nonce && nonce.length <= 100 && csrfMatches(userSignInCsrfToken(core, nonce), form.csrf_token);
}

const csrfRefused = (reply: FastifyReply) =>
  page(reply, 403, errorPage('Request refused', 'The form was not sent from this page (missing or wrong CSRF token). Reload the page and try again.'));
const expired = (reply: FastifyReply) =>
  page(reply, 400, errorPage('Sign-in expired', 'This sign-in request has expired or is not valid. Go back to the app and start again.'));

/** What a failed sign-in tells the user (never which part was wrong). */
function signInMessage(error: ConcurError): string {
  if (error.status === 429) return 'Too many attempts. Wait a few minutes and try again.';
  if (error.code === 14) return 'The account is locked after too many failed sign-ins. Try again later or ask your administrator.';
  if (error.code === 10 || error.code === 11) return 'The account is disabled. Ask your administrator.';
  return 'Wrong login ID or password.';
}

export function registerAuthorizeRoutes(app: FastifyInstance, core: Core): void {
  const sessionMaxSeconds = core.settings.sessionMaxSeconds;

  /** A sign-in replaces the browser's session: the one it had (another user's, or a `prompt=login`) ends. */
  async function endPreviousSession(request: FastifyRequest) {
    const previous = cookieOf(request, UserSessionCookie);
    if (previous && previous.length <= 100) await endUserSession(core, previous);
  }

  async function appAndCompany(target: App) {
    const company = await core.store.companies.get(target.companyId);
    return { appName: target.name, companyName: company?.name ?? '' };
  }

  async function showSignIn(request: FastifyRequest, reply: FastifyReply, target: App, sealed: string, status = 200, extra: { loginId?: string; error?: string } = {}) {
    const csrf = newSignInCsrf(core, request, reply, AuthorizePath);
    const pending = openRequest(core, sealed);
    return page(reply, status, signInPage({
      action: `${AuthorizePath}/sign-in`, fields: { request: sealed, csrf_token: csrf }, ...(await appAndCompany(target)), ...extra,
    }), pending ? [formTargetOf(pending.redirectUri)].filter((t): t is string => !!t) : []);
  }

  /** A signed-in user goes on: the consent page, or straight back to the app when consent is remembered. */
  async function proceed(request: FastifyRequest, reply: FastifyReply, sessionId: string, session: UserSession, target: App,
    pending: AuthorizeRequest, sealed: string, redirectStatus: number) {
    const targets = [formTargetOf(pending.redirectUri)].filter((t): t is string => !!t);
    if (await needsConsent(core, session.user.id, pending)) {
      if (pending.prompt === 'none') return redirect(reply, promptNoneLocation(pending, 'consent_required'), redirectStatus);
      const names = await appAndCompany(target);
      return page(reply, 200, consentPage({
        action: `${AuthorizePath}/consent`, fields: { request: sealed, csrf_token: userCsrfToken(core, sessionId, `consent:${sealed}`) },
        appName: names.appName, companyName: names.companyName, appDescription: target.description,
        userName: session.user.displayName ?? session.user.loginId, scopes: pending.scopes,
      }), targets);
    }
    return redirect(reply, await approveRequest(core, session.user, session.company, target, pending, meta(request)), redirectStatus);
  }

  app.get(AuthorizePath, async (request, reply) => {
    const check = await checkAuthorizeRequest(core, request.query as Record<string, unknown>);
    if (check.kind === 'error-page') return page(reply, 400, errorPage('This app cannot sign you in', check.message));
    if (check.kind === 'redirect') return redirect(reply, check.location);
    const { request: pending, app: target } = check;
    const sealed = sealRequest(core, pending);
    const sessionId = cookieOf(request, UserSessionCookie);
    const session = pending.prompt === 'login' ? undefined : await resumeUserSession(core, sessionId);
    if (session && sessionId && (await userMayUseApp(core, session.user, target))) {
      return proceed(request, reply, sessionId, session, target, pending, sealed, 302);
    }
    if (pending.prompt === 'none') return redirect(reply, promptNoneLocation(pending, 'login_required'));
    return showSignIn(request, reply, target, sealed);
  });

  app.post(`${AuthorizePath}/sign-in`, async (request, reply) => {
    const form = formOf(request);
    const pending = openRequest(core, form?.request);
    if (!form || !pending) return expired(reply);
    if (!signInCsrfHolds(core, request, form)) return csrfRefused(reply);
    const current = await appOfPendingRequest(core, pending);
    if (!current) return expired(reply);
    if ('error' in current) return redirect(reply, errorLocation(pending.redirectUri, pending.state, current.error), 303);
    const loginId = (form.login_id ?? '').trim();
    const password = form.password ?? '';
    if (!loginId || !password || loginId.length > 254 || password.length > 1024) {
      return showSignIn(request, reply, current.app, form.request!, 400, { loginId: loginId.slice(0, 254), error: 'Enter your login ID and password.' });
    }
    let signedIn;
    try {
      signedIn = await signInUser(core, current.app, loginId, password, meta(request));
    } catch (error) {
      if (!(error instanceof ConcurError)) throw error;
      return showSignIn(request, reply, current.app, form.request!, error.status === 429 ? 429 : 400, { loginId, error: signInMessage(error) });
    }
    await endPreviousSession(request);
    const sessionId = await startUserSession(core, signedIn.user);
    setUserSession(request, reply, sessionId, sessionMaxSeconds);
    void reply.header('set-cookie', expiredCookie(UserSignInCookie, { path: AuthorizePath, secure: isSecure(request) }));
    return proceed(request, reply, sessionId, signedIn, current.app, pending, form.request!, 303);
  });

  app.post(`${AuthorizePath}/consent`, async (request, reply) => {
    const form = formOf(request);
    const pending = openRequest(core, form?.request);
    if (!form || !pending) return expired(reply);
    const sessionId = cookieOf(request, UserSessionCookie);
    const session = await resumeUserSession(core, sessionId);
    const current = await appOfPendingRequest(core, pending);
    if (!current) return expired(reply);
    if ('error' in current) return redirect(reply, errorLocation(pending.redirectUri, pending.state, current.error), 303);
    if (!session || !sessionId) return showSignIn(request, reply, current.app, form.request!, 401, { error: 'Your session ended. Sign in again.' });
    if (!csrfMatches(userCsrfToken(core, sessionId, `consent:${form.request}`), form.csrf_token)) return csrfRefused(reply);
    if (!(await userMayUseApp(core, session.user, current.app))) {
      return redirect(reply, errorLocation(pending.redirectUri, pending.state, {
        errorCode: 'access_denied', error: 'access_denied', errorDescription: 'your company has not enabled this app',
      }), 303);
    }
    if (form.decision === 'allow') {
      return redirect(reply, await approveRequest(core, session.user, session.company, current.app, pending, meta(request)), 303);
    }
    if (form.decision === 'deny') return redirect(reply, denyRequest(core, session.user, current.app, pending, meta(request)), 303);
    return page(reply, 400, errorPage('Request refused', 'Choose Allow or Deny.'));
  });

  // ——— My connected apps ———

  async function accountSignIn(request: FastifyRequest, reply: FastifyReply, status = 200, extra: { loginId?: string; error?: string } = {}) {
    const csrf = newSignInCsrf(core, request, reply, AccountPath);
    return page(reply, status, signInPage({ action: `${AccountPath}/sign-in`, fields: { csrf_token: csrf }, ...extra }));
  }

  /** The signed-in user of an account form whose CSRF token holds; undefined after answering otherwise. */
  async function accountUser(request: FastifyRequest, reply: FastifyReply) {
    const form = formOf(request);
    const sessionId = cookieOf(request, UserSessionCookie);
    const session = await resumeUserSession(core, sessionId);
    if (!session || !sessionId) {
      await accountSignIn(request, reply, 401, { error: 'Your session ended. Sign in again.' });
      return undefined;
    }
    if (!form || !csrfMatches(userCsrfToken(core, sessionId, 'account'), form.csrf_token)) {
      await csrfRefused(reply);
      return undefined;
    }
    return { session, sessionId, form };
  }

  app.get(ConnectedAppsPath, async (request, reply) => {
    const sessionId = cookieOf(request, UserSessionCookie);
    const session = await resumeUserSession(core, sessionId);
    if (!session || !sessionId) return accountSignIn(request, reply);
    const query = request.query as Record<string, unknown>;
    return page(reply, 200, connectedAppsPage({
      userName: session.user.displayName ?? session.user.loginId, apps: await listConnectedApps(core, session.user),
      csrfToken: userCsrfToken(core, sessionId, 'account'), ...(query.withdrawn === '1' ? { notice: 'The app was disconnected.' } : {}),
    }));
  });

  app.post(`${AccountPath}/sign-in`, async (request, reply) => {
    const form = formOf(request);
    if (!form || !signInCsrfHolds(core, request, form)) return csrfRefused(reply);
    const loginId = (form.login_id ?? '').trim();
    const password = form.password ?? '';
    if (!loginId || !password || loginId.length > 254 || password.length > 1024) {
      return accountSignIn(request, reply, 400, { loginId: loginId.slice(0, 254), error: 'Enter your login ID and password.' });
    }
    try {
      const { user } = await signInToAccount(core, loginId, password, meta(request));
      await endPreviousSession(request);
      setUserSession(request, reply, await startUserSession(core, user), sessionMaxSeconds);
      void reply.header('set-cookie', expiredCookie(UserSignInCookie, { path: AccountPath, secure: isSecure(request) }));
      return redirect(reply, ConnectedAppsPath, 303);
    } catch (error) {
      if (!(error instanceof ConcurError)) throw error;
      return accountSignIn(request, reply, error.status === 429 ? 429 : 400, { loginId, error: signInMessage(error) });
    }
  });

  app.post(`${ConnectedAppsPath}/withdraw`, async (request, reply) => {
    const signed = await accountUser(request, reply);
    if (!signed) return reply;
    const appId = signed.form.app_id;
    // Only the user's own consents can be withdrawn: an app id the user never allowed changes nothing.
    const withdrawn = typeof appId === 'string' && appId.length <= 64 && (await withdrawConsent(core, signed.session.user, appId, meta(request)));
    return redirect(reply, withdrawn ? `${ConnectedAppsPath}?withdrawn=1` : ConnectedAppsPath, 303);
  });

  app.post(`${AccountPath}/sign-out`, async (request, reply) => {
    const signed = await accountUser(request, reply);
    if (!signed) return reply;
    await endUserSession(core, signed.sessionId);
    clearUserSession(request, reply);
    return redirect(reply, ConnectedAppsPath, 303);
  });
}
