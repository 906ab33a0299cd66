/**
 * The audit trail: who did what, to which app and principal, with what outcome and under
 * which correlation id. Never a secret. Events are buffered and written in one transaction
 * per flush, so the token path does not pay a write per event.
 *
 * Events caused by callers who have not authenticated (refused token requests) pass a
 * floodgate (docs/architecture.md "Lessons from outside verification": anything an unauthenticated caller
 * sends is bounded before it is stored): per window, at most so many rows per address and in
 * all; the rest is counted and summarised in one `audit.suppressed` row per address when the
 * window ends.
 */
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { AuditEvent } from './model.js';
import type { AuditRepository } from '../storage/types.js';

export type AuditInput = Partial<Omit<AuditEvent, 'at' | 'action' | 'outcome'>> & Pick<AuditEvent, 'action' | 'outcome'>;

/** How many audit rows unauthenticated callers may cause per window (0: no limit). */
export interface AuditFloodLimits {
  perAddress: number;
  total: number;
  windowMs: number;
}

const noFloodLimits: AuditFloodLimits = { perAddress: 0, total: 0, windowMs: 60_000 };

/** What a window held back for one address (or, past the total, for every address at once). */
interface Suppressed {
  written: number;
  count: number;
  /** Refusals held back, by Concur code (a small, known set). */
  codes: Record<string, number>;
}

/** The address under which refusals past the total are counted together. */
const everyOtherAddress = '*';
/** Addresses tracked per window (memory bound even with no total limit); later ones count under `everyOtherAddress`. */
const maxAddressesPerWindow = 10_000;

export class AuditLog {
  private pending: AuditEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private windowStart = 0;
  private windowWritten = 0;
  /** Per address in the current window; at most `maxAddressesPerWindow` + 1 entries. */
  private window = new Map<string, Suppressed>();
  private windowTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly repository: AuditRepository,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly flushDelayMs = 50,
    private readonly maxPending = 500,
    private readonly flood: AuditFloodLimits = noFloodLimits,
  ) {}

  record(input: AuditInput): void {
    this.pending.push({
      at: this.clock.now(), action: input.action, outcome: input.outcome,
      correlationId: input.correlationId ?? null, actorType: input.actorType ?? null, actorId: input.actorId ?? null,
      appId: input.appId ?? null, companyId: input.companyId ?? null, principalId: input.principalId ?? null,
      code: input.code ?? null, detail: input.detail ?? null,
    });
    if (this.pending.length >= this.maxPending) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.flushDelayMs);
  }

  /**
   * Records an event an unauthenticated caller at `address` caused, through the floodgate:
   * written while the address (and everyone together) is within the window's limits, otherwise
   * only counted for the window's `audit.suppressed` summary. Answers whether it was written.
   */
  recordFromAddress(address: string, input: AuditInput): boolean {
    const { perAddress, total, windowMs } = this.flood;
    if (perAddress === 0 && total === 0) {
      this.record(input);
      return true;
    }
    const now = this.clock.now();
    // A window that starts after now began ahead of it (the emulator's clock moved back): it has ended.
    if (now - this.windowStart >= windowMs || now < this.windowStart) this.endWindow(now, true);
    const overTotal = total > 0 && this.windowWritten >= total;
    // An address first seen past the total (or past the tracked ones) is only counted, with every other such address.
    const untracked = !this.window.has(address) && (overTotal || this.window.size >= maxAddressesPerWindow);
    const entry = this.entryFor(untracked ? everyOtherAddress : address);
    if (!untracked && !overTotal && (perAddress === 0 || entry.written < perAddress)) {
      entry.written++;
      this.windowWritten++;
      this.record(input);
      return true;
    }
    entry.count++;
    const code = String(input.code ?? 'none');
    entry.codes[code] = (entry.codes[code] ?? 0) + 1;
    // The summary is written when the window ends, even if nothing else arrives.
    this.windowTimer ??= setTimeout(() => this.endWindow(this.clock.now(), true), Math.max(1, this.windowStart + windowMs - now)).unref();
    return false;
  }

  /** Writes every pending event; resolves when they are stored. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.flushing.then(async () => {
      if (batch.length === 0) return;
      try {
        await this.repository.append(batch);
      } catch (error) {
        this.log.error({ err: error, events: batch.length }, 'audit events could not be stored');
      }
    });
    return this.flushing;
  }

  /** Summarises what the current window held back and writes everything (on shutdown). */
  close(): Promise<void> {
    this.endWindow(this.clock.now(), true);
    return this.flush();
  }

  private entryFor(address: string): Suppressed {
    let entry = this.window.get(address);
    if (!entry) {
      entry = { written: 0, count: 0, codes: {} };
      this.window.set(address, entry);
    }
    return entry;
  }

  /** Writes one `audit.suppressed` row per address that had events held back, and starts a new window at `now`. */
  private endWindow(now: number, force = false): void {
    if (!force && now - this.windowStart < this.flood.windowMs) return;
    clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
    for (const [address, entry] of this.window) {
      if (entry.count === 0) continue;
      this.record({
        action: 'audit.suppressed', outcome: 'failure',
        detail: {
          ip: address === everyOtherAddress ? null : address, everyOtherAddress: address === everyOtherAddress,
          count: entry.count, codes: entry.codes, from: new Date(this.windowStart).toISOString(), to: new Date(now).toISOString(),
        },
      });
    }
    this.window = new Map();
    this.windowWritten = 0;
    this.windowStart = now;
  }
}

/**
 * The client address as the audit trail and the rate-limit counters keep it: an IP address, or
 * `other` (under `trustProxy` a forwarded header may hold any text, a secret included).
 */
export function auditedAddress(value: string): string {
  return isIP(value) ? value : 'other';
}
