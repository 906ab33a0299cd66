/**
 * Where a connection's long-lived state lives (docs/protocol.md §1, §13): the refresh token, its
 * absolute expiry and the geolocation, overwritten on every token response. The access token is
 * not part of it: it stays in memory.
 *
 * Implement {@link TokenStore} to keep the state in a database or a secrets manager.
 */
import { ConcurError } from './errors.js';
import type { Principal } from './token-response.js';

/** What is kept for one connection (one principal of one app). */
export interface ConnectionState {
  /** The refresh token, exactly as last returned. */
  refreshToken: string;
  /** `refresh_expires_in` as an ISO 8601 time; absent when the service did not say. */
  refreshExpiresAt?: string | undefined;
  /** The token's geolocation: where refreshes and API calls go. */
  geolocation?: string | undefined;
  /** `sub` and `concur.type` of the id token. */
  principal?: Principal | undefined;
  /** The granted scopes. */
  scopes?: string[] | undefined;
  /** When this state was last written from a token response (ISO 8601). */
  updatedAt: string;
}

/**
 * A place for one connection's {@link ConnectionState}.
 *
 * The manager writes the state with {@link save} *before* it hands out the access token of the
 * same response, so a crash cannot lose a rotated refresh token. When several processes share a
 * store, implement {@link withLock}: the manager runs read → refresh → write inside it, so two
 * processes never refresh with the same token and never overwrite a newer one with an older one.
 */
export interface TokenStore {
  /** The saved state, or undefined when there is none. */
  load(): Promise<ConnectionState | undefined>;
  /** Replaces the saved state (atomically: a reader sees the old or the new state, never a mix). */
  save(state: ConnectionState): Promise<void>;
  /** Forgets the state (after a revoke). */
  clear(): Promise<void>;
  /**
   * Runs `work` while holding a lock shared by every user of this store, other processes
   * included. Optional; without it the manager serializes within its own process only.
   */
  withLock?<T>(work: () => Promise<T>): Promise<T>;
}

/** Checks that `value` read from a store is a {@link ConnectionState}; throws `ERR_STORE` otherwise. */
export function assertConnectionState(value: unknown, where: string): ConnectionState {
  const state = value as Partial<ConnectionState> | null;
  if (!state || typeof state !== 'object' || typeof state.refreshToken !== 'string' || state.refreshToken === '') {
    throw new ConcurError('ERR_STORE', `${where} does not hold a connection state (no refreshToken)`);
  }
  if (typeof state.updatedAt !== 'string') state.updatedAt = new Date(0).toISOString();
  return state as ConnectionState;
}

/** True while the refresh token has not passed its known expiry (an unknown expiry counts as live). */
export function isRefreshTokenLive(state: ConnectionState | undefined, now = Date.now()): boolean {
  if (!state?.refreshToken) return false;
  if (!state.refreshExpiresAt) return true;
  const expiresAt = Date.parse(state.refreshExpiresAt);
  return Number.isNaN(expiresAt) || expiresAt > now;
}
