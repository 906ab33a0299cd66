/**
 * The token endpoint's protections (issue 6; DESIGN.md "Lessons": budget failed attempts per
 * client and per address; PROTOCOL.md Decision 2: rate limited → 429 with `Retry-After`):
 *
 * - request limits per client id and per address, counted on every request before any expensive
 *   work;
 * - failure budgets: failed client authentications and failed passwords (and request-token
 *   conversions) per client id, per login id and per address. A spent budget answers 429 until
 *   its window ends, before the secret or password is even looked at.
 *
 * The user lock after repeated failed passwords (code 14) lives with the user in the store
 * (`users.ts`); these budgets also cover login ids that do not exist and addresses that spray.
 * Counters fail open: if the counter store is unreachable, requests pass and a warning is logged.
 */
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { TesseraCodes, UuidPattern } from 'tessera-protocol';
import type { Settings } from '../config.js';
import type { AuditLog } from './audit.js';
import { ConcurError } from './errors.js';
import type { CounterUpdate, RateLimiter } from './rate-limiter.js';

/** Who is asking at the token endpoint, as far as is known before any check. */
export interface Attempt {
  /** The client id as presented (not yet authenticated). */
  clientId: string | undefined;
  /** The login id of a password grant (the company UUID of a request-token conversion). */
  loginId: string | undefined;
  address: string;
  correlationId: string;
}

/** What failed: the client's own credentials, or a password / request token it presented. */
export type FailureKind = 'client' | 'password';

export type ProtectionSettings = Pick<Settings,
  'rateLimitWindowSeconds' | 'rateLimitPerClient' | 'rateLimitPerAddress' | 'failureWindowSeconds'
  | 'failureBudgetPerClient' | 'failureBudgetPerLoginId' | 'failureBudgetPerAddress'>;

interface Check {
  update: CounterUpdate;
  limit: number;
  /** For the audit trail and the log: which limit. */
  name: 'requests-per-client' | 'requests-per-address' | 'failures-per-client' | 'failures-per-login-id' | 'failures-per-address';
}


export class Protection {
  private lastWarning = 0;

  constructor(
    readonly limiter: RateLimiter,
    private readonly settings: ProtectionSettings,
    private readonly audit: AuditLog,
    private readonly log: Logger,
    /** Keyed digest for counter names made of what people type (login ids), so they are not stored in clear. */
    private readonly digest: (value: string) => string,
    /** The app behind a presented client id, for the audit row of a tripped limit (looked up only then). */
    private readonly findApp?: (clientId: string) => Promise<{ id: string; companyId: string } | undefined>,
  ) {}

  /**
   * Counts the request and refuses it with 429 when a request limit is exceeded or a failure
   * budget of its client id, login id or address is spent. Call before any expensive work.
   */
  async admit(attempt: Attempt): Promise<void> {
    const s = this.settings;
    const rateWindow = s.rateLimitWindowSeconds * 1000;
    const checks: Check[] = [];
    const client = this.clientKey(attempt.clientId);
    if (client && s.rateLimitPerClient > 0) {
      checks.push({ name: 'requests-per-client', limit: s.rateLimitPerClient, update: { key: `req:client:${client}`, windowMs: rateWindow, add: 1 } });
    }
    if (s.rateLimitPerAddress > 0) {
      checks.push({ name: 'requests-per-address', limit: s.rateLimitPerAddress, update: { key: `req:addr:${attempt.address}`, windowMs: rateWindow, add: 1 } });
    }
    checks.push(...this.failureChecks(attempt, 'password', 0));
    const states = await this.apply(checks);
    if (!states) return;

    let retryInMs = 0;
    let exceeded: Check | undefined;
    states.forEach((state, i) => {
      const check = checks[i]!;
      const over = check.update.add === 1 ? state.count > check.limit : state.count >= check.limit;
      if (!over) return;
      if (check.update.add === 1 && state.count === check.limit + 1) this.noteTripped(check, attempt);
      if (state.resetInMs >= retryInMs) {
        retryInMs = state.resetInMs;
        exceeded = check;
      }
    });
    if (exceeded) {
      throw new ConcurError(TesseraCodes.rateLimited, {
        headers: { 'retry-after': String(Math.max(1, Math.ceil(retryInMs / 1000))) },
        detail: `${exceeded.name} limit of ${exceeded.limit} reached`,
      });
    }
  }

  /** Counts a failed client authentication or password against the budgets of the attempt. */
  async recordFailure(attempt: Attempt, kind: FailureKind): Promise<void> {
    const checks = this.failureChecks(attempt, kind, 1);
    const states = await this.apply(checks);
    states?.forEach((state, i) => {
      if (state.count === checks[i]!.limit) this.noteTripped(checks[i]!, attempt);
    });
  }

  /** Lifts the failure budgets of a login id (an administrator unlocking a user). */
  async forgetLoginFailures(loginId: string): Promise<void> {
    await this.limiter.reset([`fail:login:${this.loginKey(loginId)}`]).catch((err: unknown) => this.warn(err));
  }

  private failureChecks(attempt: Attempt, kind: FailureKind, add: 0 | 1): Check[] {
    const s = this.settings;
    const windowMs = s.failureWindowSeconds * 1000;
    const checks: Check[] = [];
    const client = this.clientKey(attempt.clientId);
    if (client && s.failureBudgetPerClient > 0) {
      checks.push({ name: 'failures-per-client', limit: s.failureBudgetPerClient, update: { key: `fail:client:${client}`, windowMs, add } });
    }
    if (kind === 'password' && attempt.loginId && s.failureBudgetPerLoginId > 0) {
      checks.push({ name: 'failures-per-login-id', limit: s.failureBudgetPerLoginId, update: { key: `fail:login:${this.loginKey(attempt.loginId)}`, windowMs, add } });
    }
    if (s.failureBudgetPerAddress > 0) {
      checks.push({ name: 'failures-per-address', limit: s.failureBudgetPerAddress, update: { key: `fail:addr:${attempt.address}`, windowMs, add } });
    }
    return checks;
  }

  /** Client ids are UUIDs; anything else a client sends is reduced to a bounded digest. */
  private clientKey(clientId: string | undefined): string | undefined {
    if (!clientId) return undefined;
    return UuidPattern.test(clientId) ? clientId.toLowerCase() : this.digest(`client:${clientId}`);
  }

  private loginKey(loginId: string): string {
    return this.digest(`login:${loginId.trim().toLowerCase()}`);
  }

  private async apply(checks: Check[]) {
    if (checks.length === 0) return [];
    try {
      return await this.limiter.update(checks.map((c) => c.update));
    } catch (err) {
      this.warn(err);
      return undefined;
    }
  }

  /**
   * Once per window and limit: the moment a limit trips goes to the audit trail (not every 429
   * after it). Only what is known is kept: the app when the presented client id is one (a
   * secret typed into client_id must not land in the trail), never the login id as typed.
   */
  private noteTripped(check: Check, attempt: Attempt): void {
    const record = (app: { id: string; companyId: string } | undefined) => this.audit.record({
      action: 'token.rate-limited', outcome: 'failure', correlationId: attempt.correlationId, code: TesseraCodes.rateLimited,
      appId: app?.id ?? null, companyId: app?.companyId ?? null,
      detail: { limit: check.name, max: check.limit, ip: isIP(attempt.address) ? attempt.address : 'other' },
    });
    const clientId = attempt.clientId && UuidPattern.test(attempt.clientId) ? attempt.clientId.toLowerCase() : undefined;
    if (!clientId || !this.findApp) return record(undefined);
    this.findApp(clientId).then(record, (err: unknown) => {
      this.log.warn({ err }, 'could not look up the app of a tripped limit');
      record(undefined);
    });
  }

  private warn(err: unknown): void {
    const now = Date.now();
    if (now - this.lastWarning < 10_000) return;
    this.lastWarning = now;
    this.log.warn({ err, limiter: this.limiter.kind }, 'rate-limit counters unavailable: requests pass unlimited');
  }
}
