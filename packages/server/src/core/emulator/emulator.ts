/**
 * Emulator mode (docs/emulator.md, docs/protocol.md Decision 19): the movable clock and the fault
 * rules of one node, and the audit trail of what is done with them. Exists only when the
 * `emulator` setting is on.
 */
import type { Logger } from 'pino';
import type { AuditLog } from '../audit.js';
import type { MovableClock } from '../clock.js';
import type { RequestMeta } from '../context.js';
import { clockView, moveClock, type ClockView } from './clock-commands.js';
import { FaultRules, type FaultRule, type RequestFacts } from './faults.js';

export class Emulator {
  readonly faults: FaultRules;
  private turn: Promise<unknown> = Promise.resolve();

  /**
   * `afterMove` runs after every move of the clock, one at a time (the server passes the sweeper
   * turn: expired rows go, inactive apps are deactivated, a rotation that fell due happens).
   */
  constructor(readonly clock: MovableClock, private readonly audit: AuditLog, afterMove: () => Promise<unknown>, private readonly log?: Logger) {
    this.faults = new FaultRules(() => clock.now());
    clock.onMove(() => {
      this.turn = this.turn.then(afterMove, afterMove).catch(() => undefined);
    });
  }

  /** Resolves once the work caused by the moves so far is done. */
  async settled(): Promise<void> {
    let seen: Promise<unknown>;
    do {
      seen = this.turn;
      await seen;
    } while (seen !== this.turn);
  }

  clockView(): ClockView {
    return clockView(this.clock);
  }

  /**
   * Moves the clock as `input` says (`{advance:'181d'}`, `{set:'<ISO>'}` or `{reset:true}`), then
   * waits for the sweeper turn it causes. Without `meta` (a caller in this process, like an
   * embedding test) the move is audited without an address.
   */
  async moveClock(input: unknown, meta?: RequestMeta): Promise<ClockView> {
    const move = moveClock(this.clock, input);
    this.record(meta, {
      action: 'emulator.clock-moved',
      detail: { move: move.kind, from: new Date(move.fromMs).toISOString(), to: new Date(move.toMs).toISOString(), offsetSeconds: Math.round(this.clock.offset() / 1000) },
    });
    await this.settled();
    return this.clockView();
  }

  /** Adds a rule (the body of `POST /emulator/v0/faults`; a 400 naming the bad fields). */
  addFault(input: unknown, meta?: RequestMeta): FaultRule {
    const rule = this.faults.add(input);
    this.record(meta, { action: 'emulator.fault-added', detail: describe(rule) });
    return rule;
  }

  /** Clears one rule (answers whether it existed) or, without an id, all of them. */
  clearFaults(id?: string, meta?: RequestMeta): boolean {
    const cleared = this.faults.clear(id);
    if (cleared) this.record(meta, { action: 'emulator.fault-cleared', detail: { id: id ?? 'all' } });
    return cleared;
  }

  /**
   * Audits what a caller did (over HTTP within the budget of unauthenticated callers, in process as
   * it is) and logs it: these events belong to no company, so no company's console lists them.
   */
  private record(meta: RequestMeta | undefined, event: { action: string; detail: Record<string, unknown> }): void {
    const input = { ...event, outcome: 'success' as const, correlationId: meta?.correlationId ?? null, actorType: 'emulator' };
    this.log?.info({ emulator: event.detail, ...(meta ? { correlationId: meta.correlationId } : {}) }, event.action);
    if (meta) this.audit.recordFromAddress(meta.ip, input);
    else this.audit.record(input);
  }

  /** The rule that fires for this request, if one does (recorded in the audit trail). */
  takeFault(facts: RequestFacts, meta: RequestMeta): FaultRule | undefined {
    const rule = this.faults.take(facts);
    if (rule) this.record(meta, { action: 'emulator.fault-fired', detail: { ...describe(rule), path: facts.path.slice(0, 256) } });
    return rule;
  }
}

const describe = (rule: FaultRule) => ({ id: rule.id, match: rule.match, effect: rule.effect, remaining: rule.remaining, probability: rule.probability });
