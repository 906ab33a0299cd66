/**
 * Who may administer, and how they prove it (docs/protocol.md §12): a Web Services
 * Administrator of an enabled company, signed in to the console (a session in the store, kept
 * only as a keyed digest of its random id, with a CSRF token bound to it), or holding an admin
 * token from `POST /admin/api/token`: a JWT for the admin API only (its own audience, RFC 9700
 * §2.3), bound to a session of the same store, so signing out, the idle timeout and disabling
 * the user end it. Access tokens of apps never act as an administrator. Failed
 * sign-ins count toward the same lockout as the password grant.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ConcurCodes, Refusals } from 'tessera-protocol';
import type { Core, RequestMeta } from './context.js';
import { auditedAddress } from './audit.js';
import { ConcurError } from './errors.js';
import { failureKindOf, type Attempt } from './protection.js';
import { constantTimeEqual } from './secrets.js';
import { authenticateUser, isLocked, WebServicesAdministrator } from './users.js';
import type { AdminSession, Company, User } from './model.js';

/** The body of sign-in and `POST /admin/api/token`. */
export const CredentialsSchema = z.object({
  loginId: z.string({ error: 'is required' }).trim().min(1, 'is required').max(254, 'must be at most 254 characters'),
  password: z.string({ error: 'is required' }).min(1, 'is required').max(1024, 'must be at most 1024 characters'),
}).strict();

/** A verified administrator: the user, their company (the tenant), and how they came in. */
export interface AdminIdentity {
  readonly user: User;
  readonly company: Company;
  readonly via: 'session' | 'bearer';
}

/** An administrator with the digest of the session they came in with (to end it). */
export interface AdminSessionIdentity extends AdminIdentity {
  readonly sessionDigest: string;
}

export interface SignedIn {
  /** The session id for the cookie: shown to the browser only, stored as a digest. */
  sessionId: string;
  csrfToken: string;
  session: AdminSession;
  identity: AdminIdentity;
}

export interface IssuedAdminToken {
  accessToken: string;
  expiresAt: number;
  identity: AdminIdentity;
}

const notAdmin = () =>
  new ConcurError(Refusals.notAdministrator);

/** Answers the identity of `userId` if the user may administer now; throws 401/403 otherwise. */
export async function adminIdentityOf(core: Core, userId: string, via: AdminIdentity['via']): Promise<AdminIdentity> {
  const user = await core.store.users.get(userId);
  if (!user) throw new ConcurError(Refusals.adminUserGone);
  if (user.status === 'disabled' || isLocked(user, core.clock.now())) {
    throw new ConcurError(Refusals.adminAccountDisabled);
  }
  if (!user.roles.includes(WebServicesAdministrator)) throw notAdmin();
  const company = await core.store.companies.get(user.companyId);
  if (!company?.enabled) throw new ConcurError(Refusals.adminCompanyDisabled);
  return { user, company, via };
}

/**
 * Checks a login id and password and that the user administers; audits either outcome. The
 * address's request limit and failure budgets of admin sign-in, and the login id's lock through
 * the console, are checked first (429, or 14), before any password is hashed.
 */
async function authenticateAdmin(core: Core, loginId: string, password: string, via: AdminIdentity['via'], meta: RequestMeta) {
  const action = via === 'session' ? 'admin.signed-in' : 'admin.token-issued';
  const attempt: Attempt = { door: 'admin-sign-in', clientId: undefined, loginId, address: meta.ip, correlationId: meta.correlationId };
  try {
    await core.protection.admitAddress(attempt);
    await core.protection.admit(attempt);
    const { user } = await authenticateUser(core, loginId, password, { attempt });
    const identity = await adminIdentityOf(core, user.id, via);
    core.audit.record({
      action, outcome: 'success', correlationId: meta.correlationId, actorType: 'user', actorId: user.id, principalId: user.id,
      companyId: user.companyId,
    });
    return identity;
  } catch (error) {
    if (error instanceof ConcurError) {
      const failure = failureKindOf(error);
      if (failure) await core.protection.recordFailure(attempt, failure);
      // A flood of 429s is not written row by row: the protection audits the moment a limit trips.
      if (error.code !== ConcurCodes.RateLimited) {
        const user = await core.store.users.findByLoginId(loginId);
        // Caused by an unauthenticated caller: through the floodgate, with only an IP address (never forwarded text).
        const ip = auditedAddress(meta.ip);
        core.audit.recordFromAddress(ip, {
          action, outcome: 'failure', correlationId: meta.correlationId, code: error.code, actorType: 'user', actorId: user?.id ?? null,
          principalId: user?.id ?? null, companyId: user?.companyId ?? null, detail: { reason: error.detail ?? error.description, ip },
        });
      }
    }
    throw error;
  }
}

/**
 * Whether a cookie value has the shape of a session id (32 random bytes, base64url). Admin console,
 * user and admin-token sessions share one table and differ only by the prefix of their digests
 * (`user-session:`, `admin-token:`), so a value carrying such a prefix (it has a colon) must never
 * be looked up: it would find the other kind's row.
 */
export const isSessionId = (value: string | undefined): value is string => typeof value === 'string' && /^[A-Za-z0-9_-]{43}$/.test(value);

/** Signs an administrator in to the console: a new session, its cookie value and CSRF token. */
export async function signIn(core: Core, loginId: string, password: string, meta: RequestMeta): Promise<SignedIn> {
  const identity = await authenticateAdmin(core, loginId, password, 'session', meta);
  const now = core.clock.now();
  await core.store.sessions.deleteExpired(now, now - core.settings.sessionIdleSeconds * 1000);
  const sessionId = randomBytes(32).toString('base64url');
  const session: AdminSession = {
    digest: core.serverKeys.digest(sessionId), userId: identity.user.id, companyId: identity.company.id,
    createdAt: now, lastSeenAt: now, expiresAt: now + core.settings.sessionMaxSeconds * 1000,
  };
  await core.store.sessions.create(session);
  return { sessionId, csrfToken: csrfTokenFor(core, sessionId), session, identity };
}

/**
 * The live session behind a cookie value, marked seen; undefined when it is unknown, idle past
 * the timeout, past its end, or its user may no longer administer (the session is ended then).
 */
export async function resumeSession(core: Core, sessionId: string): Promise<{ session: AdminSession; identity: AdminSessionIdentity } | undefined> {
  if (!isSessionId(sessionId)) return undefined;
  const now = core.clock.now();
  const digest = core.serverKeys.digest(sessionId);
  const session = await core.store.sessions.touch(digest, now, now - core.settings.sessionIdleSeconds * 1000);
  if (!session) return undefined;
  try {
    return { session, identity: { ...(await adminIdentityOf(core, session.userId, 'session')), sessionDigest: digest } };
  } catch (error) {
    if (!(error instanceof ConcurError)) throw error;
    await core.store.sessions.delete(digest);
    return undefined;
  }
}

/** Ends the session behind a cookie value; answers whether there was one. */
export async function signOut(core: Core, sessionId: string): Promise<boolean> {
  return isSessionId(sessionId) && core.store.sessions.delete(core.serverKeys.digest(sessionId));
}

/** The CSRF token bound to a session: derived from its id, so it is never stored and dies with it. */
export const csrfTokenFor = (core: Core, sessionId: string): string => core.serverKeys.digest(`csrf:${sessionId}`);

/** The CSRF token of the sign-in form, bound to the pre-session cookie (against login CSRF). */
export const signInCsrfTokenFor = (core: Core, nonce: string): string => core.serverKeys.digest(`sign-in-csrf:${nonce}`);

/** Constant-time check of a presented CSRF token. */
export const csrfMatches = (expected: string, presented: string | undefined): boolean =>
  typeof presented === 'string' && constantTimeEqual(expected, presented);

/**
 * The store digest of an admin token's session handle: a digest of its own kind, so a handle
 * never resumes a console session as a cookie would.
 */
const adminTokenSessionDigest = (core: Core, sessionHandle: string): string => core.serverKeys.digest(`admin-token:${sessionHandle}`);

const adminTokenEnded = () => new ConcurError(Refusals.adminTokenEnded, {
  headers: { 'www-authenticate': 'Bearer realm="tessera-admin", error="invalid_token"' },
});

/**
 * An admin token (what `tessera admin login --server` keeps): a JWT with the admin audience,
 * bound to a new admin session that ends after `accessTokenTtl`, when idle for
 * `sessionIdleSeconds`, at sign-out (`DELETE /admin/api/session`), or when the user is disabled.
 */
export async function issueAdminToken(core: Core, loginId: string, password: string, meta: RequestMeta): Promise<IssuedAdminToken> {
  const identity = await authenticateAdmin(core, loginId, password, 'bearer', meta);
  const now = core.clock.now();
  await core.store.sessions.deleteExpired(now, now - core.settings.sessionIdleSeconds * 1000);
  const sessionHandle = randomBytes(32).toString('base64url');
  const expiresAt = now + core.settings.accessTokenTtl * 1000;
  await core.store.sessions.create({
    digest: adminTokenSessionDigest(core, sessionHandle), userId: identity.user.id, companyId: identity.company.id,
    createdAt: now, lastSeenAt: now, expiresAt,
  });
  const accessToken = core.tokens.issueAdminToken(
    { userId: identity.user.id, companyId: identity.company.id, sessionHandle }, core.geolocation(), expiresAt,
  );
  return { accessToken, expiresAt, identity };
}

/**
 * The administrator behind a Bearer admin token, its session marked seen: 401 for any other token
 * (access tokens of apps included) and for a token whose session ended; 403 when the user may no
 * longer administer (the session is ended then).
 */
export async function adminFromAdminToken(core: Core, token: string): Promise<AdminSessionIdentity> {
  const claims = await core.tokens.verifyAdminToken(token, core.geolocation());
  const now = core.clock.now();
  const digest = adminTokenSessionDigest(core, claims.sessionHandle);
  const session = await core.store.sessions.touch(digest, now, now - core.settings.sessionIdleSeconds * 1000);
  if (!session || session.userId !== claims.userId || session.companyId !== claims.companyId) throw adminTokenEnded();
  try {
    return { ...(await adminIdentityOf(core, session.userId, 'bearer')), sessionDigest: digest };
  } catch (error) {
    if (error instanceof ConcurError) await core.store.sessions.delete(digest);
    throw error;
  }
}

/** Ends the session an administrator came in with (console sign-out, or an admin token's logout); audited as `admin.signed-out`. */
export async function endAdminSession(core: Core, identity: AdminSessionIdentity, correlationId: string): Promise<void> {
  await core.store.sessions.delete(identity.sessionDigest);
  core.audit.record({
    action: 'admin.signed-out', outcome: 'success', correlationId, actorType: 'user',
    actorId: identity.user.id, principalId: identity.user.id, companyId: identity.company.id, detail: { via: identity.via },
  });
}
