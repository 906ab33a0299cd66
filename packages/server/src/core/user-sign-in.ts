/**
 * A user's password sign-in on a server-rendered page, the one implementation behind the
 * `/authorize` sign-in (docs/protocol.md §2) and "My connected apps" (Decision 15): admit the
 * address and the attempt, check the password with the user's lockout, audit `user.signed-in`,
 * and on a refusal record the failure against the door's budgets and audit it from the address.
 */
import type { Core, RequestMeta } from './context.js';
import { auditedAddress } from './audit.js';
import { ConcurError } from './errors.js';
import { failureKindOf, type Attempt } from './protection.js';
import { authenticateUser } from './users.js';
import type { App, Company, User } from './model.js';

/** Where the user signs in: the page named in the audit's `via`, and the app signed in to, if any. */
export interface SignInPage {
  via: 'authorize' | 'account';
  /**
   * The app: its password-grant door (the app's limits and lock), its ids in the audit events, and
   * `mayServe` (a user it may not serve is answered as an unknown login id). Without one, the
   * console's sign-in door.
   */
  app?: { app: App; mayServe: (user: User) => Promise<boolean> };
}

export async function signInWithPassword(core: Core, page: SignInPage, loginId: string, password: string, meta: RequestMeta): Promise<{ user: User; company: Company }> {
  const app = page.app?.app;
  const attempt: Attempt = app
    ? { door: 'token', clientId: app.id, loginId, address: meta.ip, correlationId: meta.correlationId }
    : { door: 'admin-sign-in', clientId: undefined, loginId, address: meta.ip, correlationId: meta.correlationId };
  try {
    await core.protection.admitAddress(attempt);
    await core.protection.admit(attempt);
    const signedIn = await authenticateUser(core, loginId, password, page.app ? { attempt, mayServe: page.app.mayServe } : { attempt });
    core.audit.record({
      action: 'user.signed-in', outcome: 'success', correlationId: meta.correlationId, ...(app ? { appId: app.id } : {}), actorType: 'user',
      actorId: signedIn.user.id, principalId: signedIn.user.id, companyId: signedIn.company.id, detail: { via: page.via },
    });
    return signedIn;
  } catch (error) {
    if (error instanceof ConcurError) {
      const failure = failureKindOf(error);
      if (failure) await core.protection.recordFailure(attempt, failure);
      const ip = auditedAddress(meta.ip);
      core.audit.recordFromAddress(ip, {
        action: 'user.signed-in', outcome: 'failure', correlationId: meta.correlationId, ...(app ? { appId: app.id, companyId: app.companyId } : {}),
        code: error.code, detail: { reason: error.detail ?? error.description, ip, via: page.via },
      });
    }
    throw error;
  }
}
