/**
 * Connections (refresh-token families) and the refresh semantics of docs/protocol.md Decision 8:
 * by default a refresh keeps the value and slides the 6-month expiry; with rotation on, each
 * refresh supersedes the value, the superseded one still works for the grace window (it gets a
 * new value of the same family, so every concurrent caller ends with a working token), and a
 * replay after the window revokes the whole family, unless nothing of the family was presented
 * since that value: then it is a client retrying a refresh whose answer it lost (the process
 * died after the commit), and it gets a new value while every unused one is withdrawn, so a
 * thief's replay is still caught, at the next refresh of whoever holds a withdrawn value
 * (docs/token-service.md, "Refresh tokens").
 */
import { randomUUID } from 'node:crypto';
import { Paths, Refusals } from 'tessera-protocol';
import type { Core } from './context.js';
import { ConcurError } from './errors.js';
import { newRefreshToken } from './secrets.js';
import type { AccessContext } from './tokens.js';
import type { App, Company, Connection } from './model.js';
import type { RefreshLookup } from '../storage/types.js';

export interface NewConnection {
  appId: string;
  principalType: Connection['principalType'];
  principalId: string;
  companyId: string;
  scopes: string[];
}

export async function createConnection(core: Core, input: NewConnection): Promise<Connection> {
  const now = core.clock.now();
  const connection: Connection = {
    id: randomUUID(), ...input, refreshExpiresAt: now + core.settings.refreshTokenTtl * 1000,
    createdAt: now, lastUsedAt: now, revokedAt: null,
  };
  await core.store.connections.create(connection);
  return connection;
}

/** Adds a new refresh token value to a connection and answers it (the only time it is seen in clear). */
export async function addRefreshToken(core: Core, connectionId: string): Promise<string> {
  const value = newRefreshToken();
  await core.store.connections.addRefreshToken({
    digest: core.serverKeys.digest(value), connectionId, createdAt: core.clock.now(), supersededAt: null,
  });
  return value;
}

/** A connection with the refresh token value to hand out (the only time it is seen in clear). */
export interface OpenedConnection {
  connection: Connection;
  refreshToken: string;
  expiresAt: number;
}

/** Creates a connection and gives it its first refresh token. */
export async function openConnection(core: Core, input: NewConnection): Promise<OpenedConnection> {
  const connection = await createConnection(core, input);
  return { connection, refreshToken: await addRefreshToken(core, connection.id), expiresAt: connection.refreshExpiresAt };
}

const isLive = (c: Connection, now: number) => c.revokedAt === null && c.refreshExpiresAt > now;

/**
 * How far a stable refresh token's stored expiry may lag behind "now + lifetime" before a refresh
 * writes it again (docs/protocol.md Decision 8): an hour, or 1 % of the lifetime if that is less,
 * so a refresh of a token measured in months commits nothing and answers the stored expiry.
 */
export function expiryWriteLagMs(refreshTokenTtlSeconds: number): number {
  return Math.min(3600_000, refreshTokenTtlSeconds * 10);
}

/** Runs the refresh_token grant's store side; throws 108 for anything but a live token of this app. */
async function useRefreshToken(
  core: Core,
  appId: string,
  presented: string,
  correlationId: string,
  /** Checks that must pass before anything changes (scopes, company, principal), on what the one read found. */
  precheck: (found: RefreshLookup) => void,
  /** Rotate whatever the setting says (a public app's refresh, Decision 14). */
  alwaysRotate = false,
): Promise<OpenedConnection> {
  const now = core.clock.now();
  const digest = core.serverKeys.digest(presented);
  const found = await core.store.connections.findRefresh(digest);
  if (!found || found.connection.appId !== appId) throw new ConcurError(108, { detail: found ? 'token of another app' : 'unknown token' });
  const { token, connection } = found;
  if (!isLive(connection, now)) throw new ConcurError(108, { detail: connection.revokedAt ? 'connection revoked' : 'refresh token expired' });
  precheck(found);

  let expiresAt = now + core.settings.refreshTokenTtl * 1000;
  let lastUsedAt = now;
  let refreshToken = presented;
  // Whether the stored expiry lags enough to be written again; otherwise the answer reports the stored one.
  const expiryLags = expiresAt - connection.refreshExpiresAt > expiryWriteLagMs(core.settings.refreshTokenTtl);
  if (token.supersededAt !== null || core.settings.refreshRotation || alwaysRotate) {
    refreshToken = newRefreshToken();
    if (!expiryLags) expiresAt = connection.refreshExpiresAt;
    const outcome = await core.store.connections.rotateRefreshToken({
      connectionId: connection.id, presentedDigest: digest, now, refreshExpiresAt: expiryLags ? expiresAt : null,
      graceFrom: now - core.settings.rotationGraceSeconds * 1000,
      next: { digest: core.serverKeys.digest(refreshToken), connectionId: connection.id, createdAt: now, supersededAt: null },
    });
    if (outcome === 'replayed' || outcome === 'withdrawn') {
      const reason = outcome === 'replayed'
        ? 'refresh token replayed after the grace window'
        : 'withdrawn refresh token presented (its predecessor was retried)';
      if (await core.store.connections.revoke(connection.id, now)) {
        core.audit.record({
          action: 'connection.revoked', outcome: 'success', correlationId, appId, companyId: connection.companyId,
          principalId: connection.principalId, detail: { reason, connectionId: connection.id },
        });
      }
      throw new ConcurError(108, { detail: `${reason}; family revoked` });
    }
    if (outcome === 'ended') throw new ConcurError(108, { detail: 'connection revoked or expired meanwhile' });
    if (outcome === 'retried') {
      core.audit.record({
        action: 'connection.refresh-retried', outcome: 'success', correlationId, appId, companyId: connection.companyId,
        principalId: connection.principalId,
        detail: { reason: 'superseded refresh token presented again before any other value of its family: a new value, the unused ones withdrawn', connectionId: connection.id },
      });
    }
  } else if (expiryLags) {
    if (!(await core.store.connections.slide(connection.id, now, expiresAt))) {
      throw new ConcurError(108, { detail: 'connection revoked or expired meanwhile' });
    }
  } else {
    // The stored expiry is recent enough: nothing to commit, and the answer reports what is stored.
    expiresAt = connection.refreshExpiresAt;
    lastUsedAt = connection.lastUsedAt;
  }
  return { connection: { ...connection, refreshExpiresAt: expiresAt, lastUsedAt }, refreshToken, expiresAt };
}

/** A refreshed connection, with the scopes to grant and the principal's company. */
export interface RefreshedConnection extends OpenedConnection {
  scopes: string[];
  company: Company;
}

/**
 * The refresh_token grant's rules (docs/protocol.md §2, Decision 8): a live refresh token of `app`
 * (108), scopes chosen by `scopesOf` among those of the connection the app still has (54), the
 * principal still standing: its company enabling the app (53), the user not disabled and the
 * company enabled (123); without a secret, only a user's connection (63). Nothing changes unless
 * all of that holds. Everything checked comes from one store read.
 */
export async function refreshConnection(
  core: Core, app: App, presented: string, correlationId: string, scopesOf: (available: readonly string[]) => string[],
  /** The request came with no client secret (a public app, Decision 14). */
  secretless = false,
): Promise<RefreshedConnection> {
  let scopes: string[] = [];
  let company: Company | undefined;
  // A public app holds no secret, so its refresh tokens rotate whatever the setting says (RFC 9700
  // §4.14.2, docs/protocol.md Decision 14): a stolen value is caught once it and the app's own are both used.
  const rotatesAlways = app.clientType === 'public';
  const refreshed = await useRefreshToken(core, app.id, presented, correlationId, (found) => {
    const { connection } = found;
    // Only a user's connection refreshes without the secret: a company connection came from the
    // request token grant, which needed the secret, and stays bound to it if the app turns public.
    if (secretless && connection.principalType !== 'user') throw new ConcurError(63);
    // A scope the app lost since the connection was made is not granted again.
    scopes = scopesOf(connection.scopes.filter((scope) => app.scopes.includes(scope)));
    if (found.companyGrantEnabled !== true) throw new ConcurError(53);
    if (connection.principalType === 'user' && (found.userStatus === null || found.userStatus === 'disabled')) throw new ConcurError(123);
    company = found.company;
    if (!company?.enabled) throw new ConcurError(123);
    // Refreshed only at home (docs/protocol.md §10, Decision 18): elsewhere code 16 names it, nothing changed.
    if (company.geolocation && company.geolocation !== core.geolocation()) {
      throw new ConcurError(16, { geolocation: company.geolocation, detail: 'the connection lives in another datacenter' });
    }
  }, rotatesAlways);
  return { ...refreshed, scopes, company: company! };
}

/**
 * `DELETE /app-mgmt/v0/connections` (docs/protocol.md §7): the token's principal (a user or a company)
 * revokes every connection it has with the token's app, so every refresh token of them stops
 * working at once; an application token has no connections (403). Audited with the principal as
 * actor; answers how many connections it revoked.
 */
export async function revokeConnectionsOfToken(core: Core, access: AccessContext, correlationId: string): Promise<number> {
  const { principal } = access;
  if (principal.type === 'application') {
    throw new ConcurError(Refusals.appTokenHasNoConnections);
  }
  const revoked = await core.store.connections.revokeByPrincipal(access.clientId, principal.id, core.clock.now());
  core.audit.record({
    action: 'connection.revoked', outcome: 'success', correlationId, appId: access.clientId, companyId: principal.companyId,
    principalId: principal.id, actorType: principal.type, actorId: principal.id, detail: { revoked, via: Paths.connections },
  });
  return revoked;
}
