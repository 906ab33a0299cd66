/**
 * Users of a company: login id, scrypt password, roles, status. Failed passwords count toward a
 * lockout (code 14) that lifts by itself after the lockout time or when an administrator unlocks.
 */
import { randomUUID } from 'node:crypto';
import type { Core } from './context.js';
import { ConcurError } from './errors.js';
import { decoyPasswordHash, hashPassword, verifyPassword } from './secrets.js';
import type { Company, User } from '../storage/types.js';

/** The role that opens the admin console and admin API (PROTOCOL.md §12). */
export const WebServicesAdministrator = 'Web Services Administrator';

export interface NewUser {
  companyId: string;
  loginId: string;
  password: string;
  email?: string;
  displayName?: string;
  roles?: string[];
}

const loginIdPattern = /^[^\s]{1,254}$/;

export async function createUser(core: Core, input: NewUser): Promise<User> {
  const loginId = input.loginId.trim();
  if (!loginIdPattern.test(loginId)) throw new RangeError('a login id of 1 to 254 characters without spaces is required');
  if (input.password.length < 8 || input.password.length > 1024) throw new RangeError('a password of 8 to 1024 characters is required');
  if (!(await core.store.companies.get(input.companyId))) throw new RangeError(`no company ${input.companyId}`);
  if (await core.store.users.findByLoginId(loginId)) throw new RangeError(`login id ${loginId} is taken`);
  const now = core.clock.now();
  const user: User = {
    id: randomUUID(), companyId: input.companyId, loginId, email: input.email ?? (loginId.includes('@') ? loginId : null),
    displayName: input.displayName ?? null, passwordHash: await hashPassword(input.password), roles: input.roles ?? [],
    status: 'active', failedLogins: 0, lockedUntil: null, createdAt: now, updatedAt: now,
  };
  await core.store.users.create(user);
  return user;
}

/** Who resets a password, for the audit trail. */
export interface PasswordResetBy {
  actorType: 'user' | 'operator';
  actorId?: string | null;
  correlationId?: string | null;
}

/**
 * Gives `user` a new password (8 to 1024 characters): the lockout and the failure budget of the
 * login id lift, and the user's console sessions end. Audited as `user.password-reset` (the
 * login id only; never the password).
 */
export async function resetUserPassword(core: Core, user: User, password: string, by: PasswordResetBy): Promise<User> {
  if (password.length < 8 || password.length > 1024) throw new RangeError('a password of 8 to 1024 characters is required');
  const now = core.clock.now();
  await core.store.users.setPasswordHash(user.id, await hashPassword(password), now);
  await core.store.users.clearFailedLogins(user.id, now);
  await core.protection.forgetLoginFailures(user.loginId);
  await core.store.sessions.deleteByUser(user.id);
  core.audit.record({
    action: 'user.password-reset', outcome: 'success', actorType: by.actorType, actorId: by.actorId ?? null, correlationId: by.correlationId ?? null,
    companyId: user.companyId, principalId: user.id, detail: { loginId: user.loginId },
  });
  return (await core.store.users.get(user.id))!;
}

export const isLocked = (user: User, now: number): boolean =>
  user.status === 'locked' && (user.lockedUntil === null || user.lockedUntil > now);

/**
 * Checks a login id and password. Unknown login ids cost the same scrypt work as known ones
 * and answer the same code 5, so the answer does not tell which logins exist.
 */
export async function authenticateUser(core: Core, loginId: string, password: string): Promise<{ user: User; company: Company }> {
  const now = core.clock.now();
  let user = await core.store.users.findByLoginId(loginId);
  if (!user) {
    await verifyPassword(password, await decoyPasswordHash());
    throw new ConcurError(5, { detail: 'unknown login id' });
  }
  if (isLocked(user, now)) throw new ConcurError(14, { detail: `locked until ${user.lockedUntil}` });
  if (user.status === 'locked') {
    // The lockout has lifted: the count starts again, so one typo does not lock the account at once.
    await core.store.users.clearFailedLogins(user.id, now);
    user = { ...user, status: 'active', failedLogins: 0, lockedUntil: null };
  }
  if (user.status === 'disabled') throw new ConcurError(10);
  if (!(await verifyPassword(password, user.passwordHash))) {
    const failures = await core.store.users.recordFailedLogin(
      user.id, now, core.settings.maxFailedLogins, now + core.settings.lockoutSeconds * 1000);
    throw new ConcurError(failures >= core.settings.maxFailedLogins ? 14 : 5, { detail: `failed password ${failures}` });
  }
  if (user.failedLogins > 0) await core.store.users.clearFailedLogins(user.id, now);
  const company = await core.store.companies.get(user.companyId);
  if (!company || !company.enabled) throw new ConcurError(11);
  return { user, company };
}
