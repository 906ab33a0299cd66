/**
 * Users of a company: login id, scrypt password, roles, status. Failed passwords count toward a
 * lockout (code 14) that lifts by itself after the lockout time or when an administrator unlocks.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Actor } from './actor.js';
import type { Core } from './context.js';
import { ConcurError } from './errors.js';
import { decoyPasswordHash, hashPassword, verifyPassword } from './secrets.js';
import { LoginIdTakenError } from '../storage/errors.js';
import type { Attempt } from './protection.js';
import type { Company, User } from './model.js';

/** The role that opens the admin console and admin API (docs/protocol.md §12). */
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

/** The one rule for a new password: 8 to 1024 characters (creation and reset, admin API, CLI and console). */
export const newPasswordSchema = z.string({ error: 'is required' })
  .min(8, 'must be at least 8 characters').max(1024, 'must be at most 1024 characters');

/** A RangeError unless `password` satisfies `newPasswordSchema`. */
function assertNewPassword(password: string): void {
  if (!newPasswordSchema.safeParse(password).success) throw new RangeError('a password of 8 to 1024 characters is required');
}

/** Creates a user; `LoginIdTakenError` (a RangeError) when the login id is taken, also by a concurrent creation. */
export async function createUser(core: Core, input: NewUser): Promise<User> {
  const loginId = input.loginId.trim();
  if (!loginIdPattern.test(loginId)) throw new RangeError('a login id of 1 to 254 characters without spaces is required');
  assertNewPassword(input.password);
  if (!(await core.store.companies.get(input.companyId))) throw new RangeError(`no company ${input.companyId}`);
  if (await core.store.users.findByLoginId(loginId)) throw new LoginIdTakenError(loginId);
  const now = core.clock.now();
  const user: User = {
    id: randomUUID(), companyId: input.companyId, loginId, email: input.email ?? (loginId.includes('@') ? loginId : null),
    displayName: input.displayName ?? null, passwordHash: await core.passwordHashing.run(() => hashPassword(input.password)), roles: input.roles ?? [],
    status: 'active', failedLogins: 0, lockedUntil: null, createdAt: now, updatedAt: now,
  };
  // A concurrent creation of the same login id may pass the check above: the store's unique
  // index decides, and the loser gets the same LoginIdTakenError.
  await core.store.users.create(user);
  return user;
}


/**
 * Gives `user` a new password (8 to 1024 characters): the lockout and the failure budget of the
 * login id lift, the user's console sessions end and so do the user's app connections (refresh
 * and access tokens obtained before). Audited as `user.password-reset` (the login id and how
 * many connections ended; never the password).
 */
export async function resetUserPassword(core: Core, user: User, password: string, by: Actor): Promise<User> {
  assertNewPassword(password);
  const now = core.clock.now();
  await core.store.users.setPasswordHash(user.id, await core.passwordHashing.run(() => hashPassword(password)), now);
  await core.store.users.clearFailedLogins(user.id, now);
  await core.protection.forgetLoginFailures(user.loginId);
  await core.store.sessions.deleteByUser(user.id);
  // A reset is what an admin does to a password that may be known to someone else: the app
  // connections obtained with it end too (their refresh tokens answer 108 and Tessera's APIs
  // refuse their access tokens), and the user signs in again.
  const revokedConnections = await core.store.connections.revokeAllOfPrincipal(user.id, now);
  core.audit.record({
    action: 'user.password-reset', outcome: 'success', ...by,
    companyId: user.companyId, principalId: user.id, detail: { loginId: user.loginId, revokedConnections },
  });
  return (await core.store.users.get(user.id))!;
}

export const isLocked = (user: User, now: number): boolean =>
  user.status === 'locked' && (user.lockedUntil === null || user.lockedUntil > now);

/** What a password check knows about its caller. */
export interface PasswordCheck {
  /** Who asks and through which client: the lock of a login id is per client (`protection.ts`). */
  attempt: Attempt;
  /**
   * Whether the client may serve this user at all (the password grant: the user's company has
   * enabled the app). A user it may not serve is answered exactly as an unknown login id (code 5,
   * after the same decoy scrypt work), so the answer tells nothing about other tenants' login ids.
   */
  mayServe?: (user: User) => Promise<boolean>;
}

/**
 * Checks a login id and password. Unknown login ids cost the same scrypt work as known ones,
 * answer the same code 5 and count toward the same lock through the client (code 14), so the
 * answer does not tell which logins exist; users the client may not serve are answered as
 * unknown login ids, whatever the password. Locked and disabled users are answered after the same
 * scrypt work too (against a decoy: a locked account's answer never depends on the password). Wrong
 * passwords count toward the lock through this client (`maxFailedLogins`) and toward the lock
 * of the user everywhere (`maxFailedLoginsAnyClient`, kept in the store). Every scrypt runs
 * through the process's hashing gate.
 */
export async function authenticateUser(core: Core, loginId: string, password: string, check: PasswordCheck): Promise<{ user: User; company: Company }> {
  const now = core.clock.now();
  // The same scrypt work as a real check, for answers given without one (the account's state shows no sooner).
  const decoyCheck = () => core.passwordHashing.run(async () => verifyPassword(password, await decoyPasswordHash()));
  // One answer, audit reason included, for a login id that does not exist and for one the client
  // may not serve (an administrator of the app's company reads its audit trail). Its wrong
  // passwords count toward the lock through this client as an existing user's do, so the lock's
  // code 14 does not tell which login ids exist either.
  const unknownLoginId = async (): Promise<never> => {
    await decoyCheck();
    const lockedHere = await core.protection.recordWrongPassword(check.attempt);
    throw new ConcurError(lockedHere ? 14 : 5, { detail: 'unknown login id' });
  };
  let user = await core.store.users.findByLoginId(loginId);
  if (!user) return unknownLoginId();
  if (check.mayServe && !(await check.mayServe(user))) return unknownLoginId();
  if (isLocked(user, now)) {
    await decoyCheck();
    throw new ConcurError(14, { detail: `locked until ${user.lockedUntil}` });
  }
  if (user.status === 'locked') {
    // The lockout has lifted: the count starts again, so one typo does not lock the account at once.
    await core.store.users.clearFailedLogins(user.id, now);
    user = { ...user, status: 'active', failedLogins: 0, lockedUntil: null };
  }
  if (user.status === 'disabled') {
    await decoyCheck();
    throw new ConcurError(10);
  }
  const hash = user.passwordHash;
  if (!(await core.passwordHashing.run(() => verifyPassword(password, hash)))) {
    const failures = await core.store.users.recordFailedLogin(
      user.id, now, core.settings.maxFailedLoginsAnyClient, now + core.settings.lockoutSeconds * 1000);
    const lockedHere = await core.protection.recordWrongPassword(check.attempt);
    const lockedEverywhere = failures >= core.settings.maxFailedLoginsAnyClient;
    throw new ConcurError(lockedHere || lockedEverywhere ? 14 : 5, { detail: `failed password ${failures}` });
  }
  if (user.failedLogins > 0) await core.store.users.clearFailedLogins(user.id, now);
  await core.protection.forgetWrongPasswords(check.attempt);
  const company = await core.store.companies.get(user.companyId);
  if (!company || !company.enabled) throw new ConcurError(11);
  return { user, company };
}
