/**
 * The protections of the token endpoint and of admin sign-in (docs/architecture.md
 * "Lessons": budget failed attempts per client and per address; docs/protocol.md Decision 2: rate
 * limited → 429 with `Retry-After`):
 *
 * - request limits per address (checked first, and alone when exceeded) and per client (counted
 *   only once the client id is known to name an app, so a stranger's made-up client ids create
 *   no counters), before any expensive work;
 * - failure budgets: failed client authentications and failed passwords per client id, per login
 *   id (over every client: the ceiling on distributed guessing) and per address; failed
 *   request-token conversions per app and company. A spent budget answers 429 until its window
 *   ends, before the secret or password is even looked at;
 * - the lock of a login id through one client (an app, or the admin console): after
 *   `maxFailedLogins` wrong passwords that client gets code 14 for `lockoutSeconds`, while the
 *   user goes on signing in through every other client (a lock is no weapon any
 *   client can aim at any user).
 *
 * The lock of a user over every client (`maxFailedLoginsAnyClient`) lives with the user in the
 * store (`users.ts`). Counters fail open: if the counter store is unreachable, requests pass and
 * a warning is logged. They fail closed when full (`CountersFull`, the in-memory limiter): an
 * attempt whose budgets could not be counted answers 429 rather than going uncounted.
 */
import type { Logger } from 'pino';
import { ConcurCodes, Refusals, UuidPattern } from 'tessera-protocol';
import type { Settings } from '../config.js';
import { auditedAddress, type AuditLog } from './audit.js';
import type { CoreEvents } from './events.js';
import { ConcurError } from './errors.js';
import { CountersFull, type CounterState, type CounterUpdate, type RateLimiter } from './rate-limiter.js';
import { foldLoginId } from '../storage/login-ids.js';

/** Where an attempt comes in: the token endpoint, or admin sign-in (the console and `POST /admin/api/token`). */
export type Door = 'token' | 'admin-sign-in';

/** Who is asking, as far as is known before any check. */
export interface Attempt {
  door: Door;
  /**
   * The id of the app the presented client id names (its secret not yet checked); none while that
   * is not known (before the app lookup, or when no app has it) and for admin sign-in.
   */
  clientId: string | undefined;
  /** The login id of a password grant or an admin sign-in. */
  loginId?: string | undefined;
  /** The company UUID of a request-token conversion. */
  companyId?: string | undefined;
  address: string;
  correlationId: string;
}

/**
 * What failed: the client's own credentials, a password / request token it presented, or an
 * attempt refused because the login id is locked through this client.
 */
export type FailureKind = 'client' | 'password' | 'locked-here';

/**
 * Code 14 because the login id is locked through this client (not a password that was checked).
 * It spends the client's and the address's budgets, never the login id's over every client: so
 * hammering one locked client cannot turn its lock into a lock everywhere.
 */
export class LockedThroughClient extends ConcurError {
  constructor(resetInMs: number) {
    super(14, { detail: `locked through this client for ${Math.ceil(resetInMs / 1000)} s more` });
  }
}

/** Refusals that spend a budget: wrong client credentials, wrong passwords or request tokens, locked accounts. */
const guessCodes: ReadonlyMap<number, FailureKind> = new Map([
  [61, 'client'], [64, 'client'], [5, 'password'], [14, 'password'], [136, 'password'],
  // One-time passwords that do not verify (docs/protocol.md §5): budgeted per client and address like wrong passwords.
  [83, 'password'], [84, 'password'], [85, 'password'],
]);

/** The failure kind of a refusal that spends a budget, or undefined for one that is no guess. */
export function failureKindOf(error: ConcurError): FailureKind | undefined {
  if (error instanceof LockedThroughClient) return 'locked-here';
  return guessCodes.get(error.code);
}

export type ProtectionSettings = Pick<Settings,
  'rateLimitWindowSeconds' | 'rateLimitPerClient' | 'rateLimitPerAddress' | 'failureWindowSeconds'
  | 'failureBudgetPerClient' | 'failureBudgetPerLoginId' | 'failureBudgetPerAddress'
  | 'adminSignInRatePerAddress' | 'adminFailureBudgetPerAddress' | 'maxFailedLogins' | 'lockoutSeconds'
  | 'takenLoginIdBudgetPerCompany'>;

type CheckName = 'requests-per-client' | 'requests-per-address' | 'failures-per-client' | 'failures-per-login-id'
  | 'failures-per-app-and-company' | 'failures-per-address' | 'lock-per-client-and-login-id' | 'taken-login-ids-per-company';

interface Check {
  update: CounterUpdate;
  limit: number;
  /** For the audit trail and the log: which limit. */
  name: CheckName;
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
    /** Where a tripped limit is announced (metrics). */
    private readonly events?: CoreEvents,
    /** The app behind a presented client id, for the audit row of a tripped limit (looked up only then). */
    private readonly findApp?: (clientId: string) => Promise<{ id: string; companyId: string } | undefined>,
  ) {}

  /**
   * Counts the request against its address and refuses it with 429 when the address's request
   * limit is exceeded or its failure budget spent. Call first, before any store read; nothing
   * keyed by the client or login id is counted or read when it refuses.
   */
  async admitAddress(attempt: Attempt): Promise<void> {
    await this.decide(attempt, this.addressChecks(attempt));
  }

  /**
   * After `admitAddress`: counts the request against its client (when `attempt.clientId` names
   * an app) and refuses it with 429 when that limit is exceeded or a failure budget of its client,
   * login id or company is spent, and with code 14 when its login id is locked through its client.
   * Call before any expensive work (secrets, passwords).
   */
  async admit(attempt: Attempt): Promise<void> {
    const checks = [...this.clientChecks(attempt), ...this.failureChecks(attempt, 'password', 0, false)];
    // Only a login id can be locked: no counter read (nor promise) for a grant without one.
    const lock = attempt.loginId ? await this.lockCheck(attempt, 0, true) : undefined;
    if (lock) checks.push(lock);
    await this.decide(attempt, checks);
  }

  private async decide(attempt: Attempt, checks: Check[]): Promise<void> {
    const states = await this.apply(checks, attempt.door);
    if (!states) return;

    let retryInMs = 0;
    let exceeded: Check | undefined;
    let locked: CounterState | undefined;
    states.forEach((state, i) => {
      const check = checks[i]!;
      const over = check.update.add === 1 ? state.count > check.limit : state.count >= check.limit;
      if (!over) return;
      if (check.name === 'lock-per-client-and-login-id') {
        locked = state;
        return;
      }
      if (check.update.add === 1 && state.count === check.limit + 1) this.noteTripped(check, attempt);
      if (state.resetInMs >= retryInMs) {
        retryInMs = state.resetInMs;
        exceeded = check;
      }
    });
    if (exceeded) {
      throw new ConcurError(ConcurCodes.RateLimited, {
        headers: { 'retry-after': String(Math.max(1, Math.ceil(retryInMs / 1000))) },
        detail: `${exceeded.name} limit of ${exceeded.limit} reached`,
      });
    }
    if (locked) throw new LockedThroughClient(locked.resetInMs);
  }

  /** Counts a failed client authentication or password against the budgets of the attempt. */
  async recordFailure(attempt: Attempt, kind: FailureKind): Promise<void> {
    const checks = this.failureChecks(attempt, kind, 1, true);
    const states = await this.apply(checks);
    states?.forEach((state, i) => {
      if (state.count === checks[i]!.limit) this.noteTripped(checks[i]!, attempt);
    });
  }

  /**
   * Counts a wrong password of an existing user toward the lock of the attempt's client and
   * login id; answers whether that lock has now tripped (code 14 from this answer on).
   */
  async recordWrongPassword(attempt: Attempt): Promise<boolean> {
    const check = await this.lockCheck(attempt, 1);
    const [state] = (check && (await this.apply([check]))) || [];
    if (!check || !state) return false;
    if (state.count === check.limit) this.noteTripped(check, attempt);
    return state.count >= check.limit;
  }

  /** A right password: the count toward the lock of the attempt's client and login id starts over. */
  async forgetWrongPasswords(attempt: Attempt): Promise<void> {
    const check = await this.lockCheck(attempt, 0);
    if (check) await this.limiter.reset([check.update.key]).catch((err: unknown) => this.warn(err));
  }

  /**
   * Lifts the failure budget of a login id and its locks through every client (an administrator
   * unlocking a user). The locks are keyed by an unlock generation, so one new generation lifts
   * them all without knowing every client; it lives at least as long as the locks it replaces.
   */
  async forgetLoginFailures(loginId: string): Promise<void> {
    const login = this.loginKey(loginId);
    await this.limiter.reset([`fail:login:${login}`]).catch((err: unknown) => this.warn(err));
    await this.apply([{ name: 'lock-per-client-and-login-id', limit: 0, update: this.generationUpdate(login, 1) }]);
  }

  /**
   * Login ids are unique over every company (as at Concur), so "this login id is taken" tells an
   * administrator that a login id exists somewhere. Each company may hear it a few times per
   * window (`takenLoginIdBudgetPerCompany`); once spent, creating any user answers 429 until the
   * window ends, so the answer cannot be used to list another tenant's users. Call before the lookup.
   */
  async admitUserCreation(companyId: string): Promise<void> {
    const check = this.takenLoginIdCheck(companyId, 0);
    const [state] = (check && (await this.apply([check]))) || [];
    if (!check || !state || state.count < check.limit) return;
    throw new ConcurError(Refusals.takenLoginIdsExhausted, {
      headers: { 'retry-after': String(Math.max(1, Math.ceil(state.resetInMs / 1000))) },
      detail: `${check.name} limit of ${check.limit} reached`,
    });
  }

  /** Counts one "this login id is taken" answer against the company's budget. */
  async recordTakenLoginId(companyId: string, correlationId: string | null): Promise<void> {
    const check = this.takenLoginIdCheck(companyId, 1);
    const [state] = (check && (await this.apply([check]))) || [];
    if (!check || state?.count !== check.limit) return;
    this.audit.record({
      action: 'user.rate-limited', outcome: 'failure', correlationId, code: ConcurCodes.RateLimited, companyId,
      detail: { limit: check.name, max: check.limit },
    });
  }

  private takenLoginIdCheck(companyId: string, add: 0 | 1): Check | undefined {
    const limit = this.settings.takenLoginIdBudgetPerCompany;
    if (limit <= 0) return undefined;
    return { name: 'taken-login-ids-per-company', limit, update: { key: `taken:company:${companyId}`, windowMs: this.settings.failureWindowSeconds * 1000, add } };
  }

  /** The address's request limit (counted) and failure budget (read). */
  private addressChecks(attempt: Attempt): Check[] {
    const s = this.settings;
    const admin = attempt.door === 'admin-sign-in';
    const perAddress = admin ? s.adminSignInRatePerAddress : s.rateLimitPerAddress;
    const checks: Check[] = [];
    if (perAddress > 0) {
      const key = `req:${admin ? 'admin-addr' : 'addr'}:${auditedAddress(attempt.address)}`;
      checks.push({ name: 'requests-per-address', limit: perAddress, update: { key, windowMs: s.rateLimitWindowSeconds * 1000, add: 1 } });
    }
    const failures = admin ? s.adminFailureBudgetPerAddress : s.failureBudgetPerAddress;
    if (failures > 0) checks.push(this.addressFailureCheck(attempt, failures, 0));
    return checks;
  }

  /** The address's failure budget (`limit`: its setting for the attempt's door). */
  private addressFailureCheck(attempt: Attempt, limit: number, add: 0 | 1): Check {
    const key = `fail:${attempt.door === 'admin-sign-in' ? 'admin-addr' : 'addr'}:${auditedAddress(attempt.address)}`;
    return { name: 'failures-per-address', limit, update: { key, windowMs: this.settings.failureWindowSeconds * 1000, add } };
  }

  private clientChecks(attempt: Attempt): Check[] {
    const s = this.settings;
    const client = attempt.door === 'token' ? this.clientKey(attempt.clientId) : undefined;
    if (!client || s.rateLimitPerClient <= 0) return [];
    return [{ name: 'requests-per-client', limit: s.rateLimitPerClient, update: { key: `req:client:${client}`, windowMs: s.rateLimitWindowSeconds * 1000, add: 1 } }];
  }

  private failureChecks(attempt: Attempt, kind: FailureKind, add: 0 | 1, withAddress: boolean): Check[] {
    const s = this.settings;
    const windowMs = s.failureWindowSeconds * 1000;
    const checks: Check[] = [];
    const admin = attempt.door === 'admin-sign-in';
    const client = this.clientKey(attempt.clientId);
    if (!admin && client && s.failureBudgetPerClient > 0) {
      checks.push({ name: 'failures-per-client', limit: s.failureBudgetPerClient, update: { key: `fail:client:${client}`, windowMs, add } });
    }
    if (kind === 'password' && attempt.loginId && s.failureBudgetPerLoginId > 0) {
      checks.push({ name: 'failures-per-login-id', limit: s.failureBudgetPerLoginId, update: { key: `fail:login:${this.loginKey(attempt.loginId)}`, windowMs, add } });
    }
    // A company's request tokens are budgeted per app: one app's wrong tokens do not block the company's other apps.
    if (kind === 'password' && attempt.companyId && client && s.failureBudgetPerLoginId > 0) {
      checks.push({
        name: 'failures-per-app-and-company', limit: s.failureBudgetPerLoginId,
        update: { key: `fail:conv:${client}:${this.clientKey(attempt.companyId)}`, windowMs, add },
      });
    }
    const perAddress = admin ? s.adminFailureBudgetPerAddress : s.failureBudgetPerAddress;
    if (withAddress && perAddress > 0) checks.push(this.addressFailureCheck(attempt, perAddress, add));
    return checks;
  }

  /** The lock of the attempt's login id through its client, under the login id's current unlock generation. */
  private async lockCheck(attempt: Attempt, add: 0 | 1, failClosed = false): Promise<Check | undefined> {
    const client = attempt.door === 'admin-sign-in' ? 'console' : this.clientKey(attempt.clientId);
    if (!client || !attempt.loginId) return undefined;
    const login = this.loginKey(attempt.loginId);
    const [generation] = (await this.apply([{ name: 'lock-per-client-and-login-id', limit: 0, update: this.generationUpdate(login, 0) }], failClosed ? attempt.door : undefined)) ?? [];
    return {
      name: 'lock-per-client-and-login-id', limit: this.settings.maxFailedLogins,
      update: { key: `lock:${generation?.count ?? 0}:${client}:${login}`, windowMs: this.settings.lockoutSeconds * 1000, add },
    };
  }

  private generationUpdate(login: string, add: 0 | 1): CounterUpdate {
    return { key: `unlocks:${login}`, windowMs: this.settings.lockoutSeconds * 1000, add };
  }

  /** Client ids are UUIDs; anything else a client sends is reduced to a bounded digest. */
  private clientKey(clientId: string | undefined): string | undefined {
    if (!clientId) return undefined;
    return UuidPattern.test(clientId) ? clientId.toLowerCase() : this.digest(`client:${clientId}`);
  }

  /** Folded as the stores fold login ids, so every spelling the store takes for one user counts as one. */
  private loginKey(loginId: string): string {
    return this.digest(`login:${foldLoginId(loginId.trim())}`);
  }

  /**
   * Applies the updates of `checks`; undefined when the counters are unreachable (fail open).
   * Full counters (`CountersFull`) answer 429 when `failClosedFor` names the door admitting, else are ignored
   * like an outage: the next admission of the same attempt is refused then.
   */
  private async apply(checks: Check[], failClosedFor?: Door): Promise<CounterState[] | undefined> {
    if (checks.length === 0) return [];
    try {
      return await this.limiter.update(checks.map((c) => c.update));
    } catch (err) {
      if (err instanceof CountersFull && failClosedFor) {
        this.events?.rateLimitTripped('counters-full', failClosedFor);
        throw new ConcurError(ConcurCodes.RateLimited, {
          headers: { 'retry-after': String(Math.max(1, Math.ceil(err.retryInMs / 1000))) },
          detail: 'failure counters full',
        });
      }
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
    this.events?.rateLimitTripped(check.name, attempt.door);
    const record = (app: { id: string; companyId: string } | undefined) => this.audit.record({
      action: attempt.door === 'admin-sign-in' ? 'admin.rate-limited' : 'token.rate-limited', outcome: 'failure',
      correlationId: attempt.correlationId, code: check.name === 'lock-per-client-and-login-id' ? 14 : ConcurCodes.RateLimited,
      appId: app?.id ?? null, companyId: app?.companyId ?? null,
      detail: { limit: check.name, max: check.limit, ip: auditedAddress(attempt.address) },
    });
    const clientId = attempt.clientId && UuidPattern.test(attempt.clientId) ? attempt.clientId.toLowerCase() : undefined;
    if (!clientId || !this.findApp) return record(undefined);
    this.findApp(clientId).then(record, (err: unknown) => {
      this.log.warn({ err }, 'could not look up the app of a tripped limit');
      record(undefined);
    });
  }

  private warn(err: unknown): void {
    if (err instanceof CountersFull) {
      this.log.warn({ limiter: this.limiter.kind }, 'failure counters full: attempts answer 429 until windows end');
      return;
    }
    const now = Date.now();
    if (now - this.lastWarning < 10_000) return;
    this.lastWarning = now;
    this.log.warn({ err, limiter: this.limiter.kind }, 'rate-limit counters unavailable: requests pass unlimited');
  }
}

