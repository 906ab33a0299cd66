/**
 * `GET /oauth2/v0/authorize` (docs/protocol.md §4): the rules of an authorization request, the
 * sealed pending request that survives sign-in, user sign-in with the password grant's budgets
 * and lockout, remembered consent, and the redirect that carries the code or the error. Free of
 * HTTP: the routes (http/authorize-routes.ts) render pages and follow the answers.
 *
 * No redirect goes anywhere before the client and the redirect URI are checked: an unknown client
 * or a redirect URI the app did not register exactly gets an error page (RFC 9700 §4.1), never a
 * redirect, so `/authorize` is no open redirector.
 */
import { UuidPattern, parseScopeParameter } from 'tessera-protocol';
import type { Core, RequestMeta } from './context.js';
import { issueAuthorizationCode } from './authorization-codes.js';
import { ConcurError } from './errors.js';
import { companyEnablesApp, grantedScopes } from './grants/registry.js';
import { signInWithPassword } from './user-sign-in.js';
import type { App, Company, User } from './model.js';

/** The OpenID Connect `display` values (OIDC Core §3.1.2.1); all show the same page here. */
const displayValues = new Set(['page', 'popup', 'touch', 'wap']);
/** The `prompt` values served: `none` (no page), `login` (sign in again), `consent` (ask again). */
const promptValues = new Set(['none', 'login', 'consent']);
export type Prompt = 'none' | 'login' | 'consent';

/** A PKCE S256 challenge: base64url of a SHA-256 digest (RFC 7636 §4.2). */
const challengePattern = /^[A-Za-z0-9_-]{43}$/;

/** A pending request is sealed for this long: time enough to sign in and read the consent page. */
export const PendingRequestLifetimeMs = 30 * 60 * 1000;

const maxStateLength = 2048;
const maxNonceLength = 512;

/** A validated authorization request, as the sealed pending request carries it. */
export interface AuthorizeRequest {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  state: string | undefined;
  codeChallenge: string | undefined;
  nonce: string | undefined;
  prompt: Prompt | undefined;
  /** When the request was validated (ms); the sealed request ends `PendingRequestLifetimeMs` after. */
  at: number;
}

/** Errors that are redirected back to the client (after the redirect URI is known good). */
export interface AuthorizeError {
  /** Concur's `error_code` (a Concur code where the table has one, else the OAuth 2.0 error); empty for a disabled app. */
  errorCode: string;
  errorDescription: string;
  /** The RFC 6749 §4.1.2.1 `error`, for standard clients; absent for a disabled app (Concur sends empty fields only). */
  error?: string;
}

/** What an authorization request comes to before any page. */
export type AuthorizeCheck =
  | { kind: 'error-page'; message: string }
  | { kind: 'redirect'; location: string }
  | { kind: 'valid'; request: AuthorizeRequest; app: App };

type Query = Readonly<Record<string, unknown>>;

/** A single string parameter; a repeated one (an array) counts as malformed. */
const single = (query: Query, name: string): string | undefined | null => {
  const value = query[name];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : null;
};

/** `redirectUri` with `params` added to its query (existing parameters kept; empty strings kept as empty fields). */
export function redirectLocation(redirectUri: string, params: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.append(name, value);
  return url.toString();
}

/** The redirect of an error, with the request's `state`. */
export const errorLocation = (redirectUri: string, state: string | undefined, e: AuthorizeError): string =>
  redirectLocation(redirectUri, { error_code: e.errorCode, error_description: e.errorDescription, error: e.error, state });

const concurError = (code: 54 | 60 | 117 | 118 | 119, error: string, detail?: string): AuthorizeError => {
  const e = new ConcurError(code, detail === undefined ? {} : { detail });
  return { errorCode: String(code), errorDescription: e.description, error };
};
const oauthError = (error: string, description: string): AuthorizeError => ({ errorCode: error, errorDescription: description, error });

/** Loopback IP literals (RFC 8252 §7.3; `localhost` is not one, §8.3). */
const loopbackHosts = new Set(['127.0.0.1', '[::1]']);

/** `uri` parsed when it is an `http` loopback URI written in its normal form, else undefined. */
function loopbackUri(uri: string): URL | undefined {
  if (!URL.canParse(uri)) return undefined;
  const url = new URL(uri);
  return url.protocol === 'http:' && loopbackHosts.has(url.hostname) && url.href === uri ? url : undefined;
}

/**
 * Whether `redirectUri` is one the app registered: character for character, except that a
 * loopback one (`http://127.0.0.1` or `http://[::1]`) may come on any port, as a native app takes
 * whichever port is free (RFC 8252 §7.3, RFC 9700 §4.1.3). The code stays bound to the URI sent.
 */
export function isRegisteredRedirectUri(app: Pick<App, 'redirectUris'>, redirectUri: string): boolean {
  if (app.redirectUris.includes(redirectUri)) return true;
  const sent = loopbackUri(redirectUri);
  if (!sent) return false;
  return app.redirectUris.some((registered) => {
    const known = loopbackUri(registered);
    if (!known) return false;
    const onPort = new URL(sent.href);
    onPort.port = known.port;
    return onPort.href === known.href;
  });
}

/**
 * Checks an authorization request, in order: the client (page), the redirect URI, exact match
 * but for a loopback URI's port (page); then, redirected back: a disabled app (empty fields), `response_type=code`, the app
 * allowing authorization_code (60), the scopes (54), `display` (118), `prompt` (119, also for
 * `offline_access` without `prompt=consent`), `nonce` (117: required when `openid` is requested,
 * Decision 13), PKCE (S256 only; required for public apps, Decision 14).
 */
export async function checkAuthorizeRequest(core: Core, query: Query): Promise<AuthorizeCheck> {
  const clientId = single(query, 'client_id');
  if (!clientId || !UuidPattern.test(clientId)) return { kind: 'error-page', message: 'The request names no known app (client_id).' };
  const app = await core.store.apps.get(clientId.toLowerCase());
  if (!app) return { kind: 'error-page', message: 'The request names no known app (client_id).' };
  const redirectUri = single(query, 'redirect_uri');
  if (!redirectUri || !isRegisteredRedirectUri(app, redirectUri)) {
    return { kind: 'error-page', message: 'The redirect_uri is not one the app registered. Nothing was sent back to the app.' };
  }
  const rawState = single(query, 'state');
  const state = typeof rawState === 'string' ? rawState : undefined;
  const refuse = (e: AuthorizeError): AuthorizeCheck => ({ kind: 'redirect', location: errorLocation(redirectUri, state, e) });

  if (!app.enabled) return refuse({ errorCode: '', errorDescription: '' });
  if (rawState === null || (state !== undefined && state.length > maxStateLength)) {
    return refuse(oauthError('invalid_request', 'state is malformed or too long'));
  }
  const responseType = single(query, 'response_type');
  if (responseType !== 'code') return refuse(oauthError('unsupported_response_type', 'response_type must be code'));
  if (!app.grants.includes('authorization_code')) return refuse(concurError(60, 'unauthorized_client'));

  const scope = single(query, 'scope');
  if (scope === null) return refuse(oauthError('invalid_request', 'scope was sent more than once'));
  let scopes: string[];
  try {
    scopes = grantedScopes(scope, app.scopes);
  } catch (error) {
    if (error instanceof ConcurError) return refuse(concurError(54, 'invalid_scope'));
    throw error;
  }
  const display = single(query, 'display');
  if (display === null || (display !== undefined && !displayValues.has(display))) return refuse(concurError(118, 'invalid_request'));
  const prompt = single(query, 'prompt');
  if (prompt === null || (prompt !== undefined && !promptValues.has(prompt))) return refuse(concurError(119, 'invalid_request'));
  if (scopes.includes('offline_access') && prompt !== 'consent') return refuse(concurError(119, 'invalid_request'));

  const nonce = single(query, 'nonce');
  if (nonce === null || (nonce !== undefined && nonce.length > maxNonceLength)) {
    return refuse(oauthError('invalid_request', 'nonce is malformed or too long'));
  }
  // Decision 13: an OpenID Connect request (one that names `openid`) needs a nonce; the id token echoes it.
  if (!nonce && parseScopeParameter(scope).includes('openid')) return refuse(concurError(117, 'invalid_request'));

  const challenge = single(query, 'code_challenge');
  const method = single(query, 'code_challenge_method');
  if (challenge === null || method === null) return refuse(oauthError('invalid_request', 'PKCE parameters were sent more than once'));
  if (challenge !== undefined || method !== undefined) {
    if (method !== 'S256') return refuse(oauthError('invalid_request', 'code_challenge_method must be S256'));
    if (!challenge || !challengePattern.test(challenge)) {
      return refuse(oauthError('invalid_request', 'code_challenge must be the base64url SHA-256 of the code_verifier (43 characters)'));
    }
  }
  if (app.clientType === 'public' && !challenge) {
    return refuse(oauthError('invalid_request', 'a public app must send a PKCE code_challenge (S256)'));
  }
  return {
    kind: 'valid', app,
    request: {
      clientId: app.id, redirectUri, scopes, state, codeChallenge: challenge || undefined, nonce: nonce || undefined,
      prompt: prompt as Prompt | undefined, at: core.clock.now(),
    },
  };
}

/** Seals a request for the pages' hidden field: encrypted and authenticated with the server key, so the browser can neither read nor change it. */
export const sealRequest = (core: Core, request: AuthorizeRequest): string => core.serverKeys.encrypt(JSON.stringify(request));

/** The request a sealed value carries, if it is genuine and not older than `PendingRequestLifetimeMs`. */
export function openRequest(core: Core, sealed: string | undefined): AuthorizeRequest | undefined {
  if (typeof sealed !== 'string' || sealed.length > 8192) return undefined;
  let request: AuthorizeRequest;
  try {
    request = JSON.parse(core.serverKeys.decrypt(sealed).toString('utf8')) as AuthorizeRequest;
  } catch {
    return undefined;
  }
  if (typeof request.at !== 'number' || request.at + PendingRequestLifetimeMs <= core.clock.now()) return undefined;
  return request;
}

/**
 * The app of a pending request as it is now, when it may still be served: enabled, allowing the
 * grant, the redirect URI still registered. Otherwise the error to redirect with (the redirect URI
 * itself was checked when the request was made; a URI the app has dropped since gets nothing).
 */
export async function appOfPendingRequest(core: Core, request: AuthorizeRequest): Promise<{ app: App } | { error: AuthorizeError } | undefined> {
  const app = await core.store.apps.get(request.clientId);
  if (!app || !isRegisteredRedirectUri(app, request.redirectUri)) return undefined;
  if (!app.enabled) return { error: { errorCode: '', errorDescription: '' } };
  if (!app.grants.includes('authorization_code')) return { error: concurError(60, 'unauthorized_client') };
  if (request.scopes.some((scope) => !app.scopes.includes(scope))) return { error: concurError(54, 'invalid_scope') };
  return { app };
}

/**
 * Signs a user in on the `/authorize` page, through the same door as the password grant of the
 * app (docs/protocol.md §2): the address's and app's limits, the login id's lock through this app
 * and everywhere, failure budgets; a user of a company that has not enabled the app is answered as
 * an unknown login id. Audited as `user.signed-in`.
 */
export function signInUser(core: Core, app: App, loginId: string, password: string, meta: RequestMeta): Promise<{ user: User; company: Company }> {
  return signInWithPassword(core, {
    via: 'authorize', app: { app, mayServe: (candidate) => companyEnablesApp(core, app.id, candidate.companyId) },
  }, loginId, password, meta);
}

/**
 * Whether the user must be asked: no consent remembered for the app, one for fewer scopes than
 * requested (a wider set asks again), or `prompt=consent` (Decision 15).
 */
export async function needsConsent(core: Core, userId: string, request: AuthorizeRequest): Promise<boolean> {
  if (request.prompt === 'consent') return true;
  const consent = await core.store.authorizations.getConsent(userId, request.clientId);
  return !consent || request.scopes.some((scope) => !consent.scopes.includes(scope));
}

/** Whether the user's company has enabled the app (its users may connect it). */
export const userMayUseApp = (core: Core, user: User, app: App): Promise<boolean> => companyEnablesApp(core, app.id, user.companyId);

/**
 * The user allows the request: the consent is remembered (with the scopes consented before), a
 * code is issued, and the answer is the redirect carrying it:
 * `redirect_uri?code=…&state=…&geolocation=…`. Audited as `authorization.approved`.
 */
export async function approveRequest(core: Core, user: User, company: Company, app: App, request: AuthorizeRequest, meta: RequestMeta): Promise<string> {
  const now = core.clock.now();
  const earlier = await core.store.authorizations.getConsent(user.id, app.id);
  const scopes = [...new Set([...(earlier?.scopes ?? []), ...request.scopes])];
  await core.store.authorizations.saveConsent({ userId: user.id, appId: app.id, scopes, createdAt: earlier?.createdAt ?? now, updatedAt: now });
  const code = await issueAuthorizationCode(core, {
    app, userId: user.id, companyId: company.id, redirectUri: request.redirectUri, scopes: request.scopes,
    codeChallenge: request.codeChallenge, nonce: request.nonce,
  });
  core.audit.record({
    action: 'authorization.approved', outcome: 'success', correlationId: meta.correlationId, appId: app.id, companyId: company.id,
    actorType: 'user', actorId: user.id, principalId: user.id, detail: { scopes: request.scopes, pkce: request.codeChallenge !== undefined },
  });
  return redirectLocation(request.redirectUri, {
    code, state: request.state, geolocation: company.geolocation ?? core.geolocation(),
  });
}

/** The user denies the request: `redirect_uri?error_code=user_denied&error_description=…&state=…`. Audited. */
export function denyRequest(core: Core, user: User, app: App, request: AuthorizeRequest, meta: RequestMeta): string {
  core.audit.record({
    action: 'authorization.denied', outcome: 'failure', correlationId: meta.correlationId, appId: app.id, companyId: user.companyId,
    actorType: 'user', actorId: user.id, principalId: user.id, detail: { scopes: request.scopes },
  });
  return errorLocation(request.redirectUri, request.state, {
    errorCode: 'user_denied', errorDescription: 'The user denied the request', error: 'access_denied',
  });
}

/** The redirect of `prompt=none` when a page would be needed (OIDC Core §3.1.2.6). */
export const promptNoneLocation = (request: AuthorizeRequest, error: 'login_required' | 'consent_required'): string =>
  errorLocation(request.redirectUri, request.state, {
    errorCode: error, error,
    errorDescription: error === 'login_required' ? 'the user is not signed in' : 'the user has not consented to these scopes',
  });
