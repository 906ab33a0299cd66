/**
 * Who may administer, and how they prove it (issue 4, PROTOCOL.md §12): a Web Services
 * Administrator of an enabled company, signed in to the console (a session in the store, kept
 * only as a keyed digest of its random id, with a CSRF token bound to it), or holding a user
 * access token. Failed sign-ins count toward the same lockout as the password grant.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { TesseraCodes } from 'tessera-protocol';
import type { Core, RequestMeta } from './context.js';
import { ConcurError } from './errors.js';
import { failureKindOf, type Attempt } from './protection.js';
import { constantTimeEqual } from './secrets.js';
import { authenticateUser, isLocked, WebServicesAdministrator } from './users.js';
import type { AdminSession, Company, User } from '../storage/types.js';

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

/** The client id in the `concur.app` claim of tokens from `POST /admin/api/token` (no app is involved). */
export const AdminClientId = 'tessera-admin';

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
  new ConcurError(403, { description: 'only a Web Services Administrator may use the admin console and admin API' });

/** Answers the identity of `userId` if the user may administer now; throws 401/403 otherwise. */
export async function adminIdentityOf(core: Core, userId: string, via: AdminIdentity['via']): Promise<AdminIdentity> {
  const user = await core.store.users.get(userId);
  if (!user) throw new ConcurError(401, { description: 'the user no longer exists; sign in again' });
  if (user.status === 'disabled' || isLocked(user, core.clock.now())) {
    throw new ConcurError(403, { description: 'the account is disabled or locked' });
  }
  if (!user.roles.includes(WebServicesAdministrator)) throw notAdmin();
  const company = await core.store.companies.get(user.companyId);
  if (!company?.enabled) throw new ConcurError(403, { description: 'the company is disabled' });
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
      if (error.code !== TesseraCodes.rateLimited) {
        const user = await core.store.users.findByLoginId(loginId);
        core.audit.record({
          action, outcome: 'failure', correlationId: meta.correlationId, code: error.code, actorType: 'user', actorId: user?.id ?? null,
          principalId: user?.id ?? null, companyId: user?.companyId ?? null, detail: { reason: error.detail ?? error.description, ip: meta.ip },
        });
      }
    }
    throw error;
  }
}

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
export async function resumeSession(core: Core, sessionId: string): Promise<{ session: AdminSession; identity: AdminIdentity } | undefined> {
  if (!sessionId || sessionId.length > 100) return undefined;
  const now = core.clock.now();
  const digest = core.serverKeys.digest(sessionId);
  const session = await core.store.sessions.touch(digest, now, now - core.settings.sessionIdleSeconds * 1000);
  if (!session) return undefined;
  try {
    return { session, identity: await adminIdentityOf(core, session.userId, 'session') };
  } catch (error) {
    if (!(error instanceof ConcurError)) throw error;
    await core.store.sessions.delete(digest);
    return undefined;
  }
}

/** Ends the session behind a cookie value; answers whether there was one. */
export async function signOut(core: Core, sessionId: string): Promise<boolean> {
  return core.store.sessions.delete(core.serverKeys.digest(sessionId));
}

/** The CSRF token bound to a session: derived from its id, so it is never stored and dies with it. */
export const csrfTokenFor = (core: Core, sessionId: string): string => core.serverKeys.digest(`csrf:${sessionId}`);

/** The CSRF token of the sign-in form, bound to the pre-session cookie (against login CSRF). */
export const signInCsrfTokenFor = (core: Core, nonce: string): string => core.serverKeys.digest(`sign-in-csrf:${nonce}`);

/** Constant-time check of a presented CSRF token. */
export const csrfMatches = (expected: string, presented: string | undefined): boolean =>
  typeof presented === 'string' && constantTimeEqual(expected, presented);

/**
 * A short-lived user access token for an administrator (what `tessera admin login --server`
 * keeps): a JWT like the password grant's, for the built-in admin client, with no scopes.
 */
export async function issueAdminToken(core: Core, loginId: string, password: string, meta: RequestMeta): Promise<IssuedAdminToken> {
  const identity = await authenticateAdmin(core, loginId, password, 'bearer', meta);
  const response = core.tokens.issue({
    clientId: AdminClientId, scopes: [], geolocation: core.geolocation(), idToken: false,
    principal: { type: 'user', id: identity.user.id, companyId: identity.company.id },
  });
  return { accessToken: response.access_token, expiresAt: core.clock.now() + core.settings.accessTokenTtl * 1000, identity };
}

/** The administrator behind a Bearer access token: a user token whose user administers (401/403 otherwise). */
export async function adminFromAccessToken(core: Core, token: string): Promise<AdminIdentity> {
  const access = await core.tokens.verify(token, core.geolocation());
  if (access.principal.type !== 'user') {
    throw new ConcurError(403, { description: 'the admin API takes a user access token of a Web Services Administrator' });
  }
  const identity = await adminIdentityOf(core, access.principal.id, 'bearer');
  if (access.principal.companyId && access.principal.companyId !== identity.company.id) throw notAdmin();
  return identity;
}
