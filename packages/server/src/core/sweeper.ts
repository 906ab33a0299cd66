/**
 * The sweeper (docs/architecture.md "Storage": expired rows are swept by the server itself; "Token tables
 * that grow forever"). One pass deletes, each through its repository:
 *
 * - request tokens past their 24 hours, and authorization codes a day after their 10 minutes: until
 *   then a second use of a code still revokes the connection the first made (docs/protocol.md §4);
 * - every refresh token value of a revoked or expired connection (they answer 108 either way);
 * - superseded refresh token values older than `refreshTokenTtl` in live families: until then a
 *   replay revokes the family (Decision 8); after it, a replay is just an unknown token (108);
 * - revoked and expired connections `endedConnectionRetentionDays` after they ended;
 * - admin sessions past their end or idle timeout;
 * - audit events older than `auditRetentionDays`;
 * - signing keys a day after they left JWKS;
 * - one-time passwords once used or expired (Decision 4);
 * - outbox mail `outboxRetentionHours` after it was written (it holds one-time passwords);
 *
 * and deactivates apps unused for `appInactivityDays` (Decision 7), so the console shows them
 * disabled even if no client calls again. Large deletions go in batches, bounded per pass; the
 * rest waits for the next pass.
 */
import type { Core } from './context.js';

const day = 24 * 3600 * 1000;

/** What one pass removed or changed, per kind. */
export interface SweepReport {
  requestTokens: number;
  authorizationCodes: number;
  refreshTokensOfEnded: number;
  supersededRefreshTokens: number;
  connections: number;
  sessions: number;
  auditEvents: number;
  signingKeys: number;
  appsDeactivated: number;
  otps: number;
  outboxMessages: number;
}

export interface SweepOptions {
  /** Rows per batched delete (default 5000). */
  batchSize?: number;
  /** Most batches per kind in one pass (default 100). */
  maxBatches?: number;
}

/** Runs one pass at `core.clock.now()`. Call it under the sweeper lock (`maintenance.ts`) when nodes share a store. */
export async function sweep(core: Core, options: SweepOptions = {}): Promise<SweepReport> {
  const { store, settings } = core;
  const batchSize = options.batchSize ?? 5000;
  const maxBatches = options.maxBatches ?? 100;
  const now = core.clock.now();
  const batched = async (remove: (limit: number) => Promise<number>) => {
    let total = 0;
    for (let i = 0; i < maxBatches; i++) {
      const removed = await remove(batchSize);
      total += removed;
      if (removed < batchSize) break;
    }
    return total;
  };

  const report: SweepReport = {
    requestTokens: await store.requestTokens.deleteExpired(now),
    authorizationCodes: await store.authorizations.deleteExpiredCodes(now - day),
    refreshTokensOfEnded: await batched((limit) => store.connections.deleteTokensOfEnded(now, limit)),
    supersededRefreshTokens: await batched((limit) => store.connections.deleteSupersededBefore(now - settings.refreshTokenTtl * 1000, limit)),
    connections: await store.connections.sweep(now - settings.endedConnectionRetentionDays * day),
    sessions: await store.sessions.deleteExpired(now, now - settings.sessionIdleSeconds * 1000),
    auditEvents: settings.auditRetentionDays > 0
      ? await batched((limit) => store.audit.deleteBefore(now - settings.auditRetentionDays * day, limit))
      : 0,
    signingKeys: await store.keys.deleteExpired(now - day),
    appsDeactivated: await deactivateUnusedApps(core, now),
    otps: await store.otps.deleteEnded(now),
    outboxMessages: await batched((limit) => store.outbox.deleteBefore(now - settings.outboxRetentionHours * 3600_000, limit)),
  };
  return report;
}

async function deactivateUnusedApps(core: Core, now: number): Promise<number> {
  const days = core.settings.appInactivityDays;
  if (days === 0) return 0;
  const disabled = await core.store.apps.disableUnusedSince(now - days * day, now);
  for (const app of disabled) {
    core.audit.record({
      action: 'app.deactivated', outcome: 'success', appId: app.id, companyId: app.companyId, actorType: 'system',
      detail: { reason: 'inactivity', days, lastUsedAt: app.lastUsedAt },
    });
  }
  return disabled.length;
}
