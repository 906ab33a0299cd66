/**
 * Who does an operation, for the audit trail. Every operation of core takes its actor, so the
 * admin API, the console, the local `tessera admin` commands and the Concur-compatible routes
 * record the same event for the same change; only `actorType` (and `actorId`) tell them apart.
 */

/**
 * `user`: an administrator (or, on the Concur routes, a user's token); `operator`: someone on the
 * service's machine running `tessera admin` on its store (no id: the store cannot tell who);
 * `application` and `company`: an access token of that principal; `system`: the service itself.
 */
export type ActorType = 'user' | 'operator' | 'application' | 'company' | 'system';

/** The actor of an operation and the request it came in (null outside a request). */
export interface Actor {
  readonly actorType: ActorType;
  readonly actorId: string | null;
  readonly correlationId: string | null;
}

/** The operator: `tessera admin` on the local store, outside any request. */
export const operatorActor: Actor = { actorType: 'operator', actorId: null, correlationId: null };
