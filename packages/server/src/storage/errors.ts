/** Errors a store raises for conditions its callers handle (not failures). */

/**
 * Another user already has this login id (login ids are unique ignoring case). Raised by
 * `users.create` when its insert meets the unique index, which is what two concurrent creations
 * of one login id come to: the one that loses gets this, not a driver error.
 */
export class LoginIdTakenError extends RangeError {
  constructor(loginId: string) {
    super(`login id ${loginId} is taken`);
    this.name = 'LoginIdTakenError';
  }
}
