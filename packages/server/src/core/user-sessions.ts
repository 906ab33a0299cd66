/**
 * User sessions of the `/authorize` pages and "My connected apps" (docs/protocol.md Decision 15):
 * a random id in an HttpOnly cookie, kept in the store's session table only as a keyed digest of
 * its own kind (`user-session:`), so a user session never resumes an admin console session or an
 * admin token, nor the other way round. Same idle timeout and absolute end as console sessions.
 */
import { randomBytes } from 'node:crypto';
import type { Core } from './context.js';
import { csrfMatches, isSessionId } from './sessions.js';
import { isLocked } from './users.js';
import type { Company, User } from './model.js';

const userSessionDigest = (core: Core, sessionId: string): string => core.serverKeys.digest(`user-session:${sessionId}`);

export interface UserSession {
  user: User;
  company: Company;
}

/** Starts a session for a signed-in user; answers the cookie value (stored only as a digest). */
export async function startUserSession(core: Core, user: User): Promise<string> {
  const now = core.clock.now();
  await core.store.sessions.deleteExpired(now, now - core.settings.sessionIdleSeconds * 1000);
  const sessionId = randomBytes(32).toString('base64url');
  await core.store.sessions.create({
    digest: userSessionDigest(core, sessionId), userId: user.id, companyId: user.companyId,
    createdAt: now, lastSeenAt: now, expiresAt: now + core.settings.sessionMaxSeconds * 1000,
  });
  return sessionId;
}

/**
 * The user behind a session cookie, the session marked seen; undefined when it is unknown, idle
 * past the timeout, past its end, or the user is disabled or locked or the company disabled
 * (the session is ended then).
 */
export async function resumeUserSession(core: Core, sessionId: string | undefined): Promise<UserSession | undefined> {
  if (!isSessionId(sessionId)) return undefined;
  const now = core.clock.now();
  const digest = userSessionDigest(core, sessionId);
  const session = await core.store.sessions.touch(digest, now, now - core.settings.sessionIdleSeconds * 1000);
  if (!session) return undefined;
  const user = await core.store.users.get(session.userId);
  const company = user && (await core.store.companies.get(user.companyId));
  if (!user || !company?.enabled || user.status === 'disabled' || isLocked(user, now) || user.companyId !== session.companyId) {
    await core.store.sessions.delete(digest);
    return undefined;
  }
  return { user, company };
}

/** Ends the session behind a cookie value. */
export async function endUserSession(core: Core, sessionId: string): Promise<void> {
  if (isSessionId(sessionId)) await core.store.sessions.delete(userSessionDigest(core, sessionId));
}

/** The CSRF token of a user session's forms, for one purpose (and pending request): derived, never stored. */
export const userCsrfToken = (core: Core, sessionId: string, purpose: string): string =>
  core.serverKeys.digest(`user-csrf:${purpose}:${sessionId}`);

/** The CSRF token of the sign-in form, bound to the pre-session cookie (against login CSRF). */
export const userSignInCsrfToken = (core: Core, nonce: string): string => core.serverKeys.digest(`user-sign-in-csrf:${nonce}`);

export { csrfMatches };
