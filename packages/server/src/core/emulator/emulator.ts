/**
 * Emulator mode (docs/emulator.md, docs/protocol.md Decision 19): the movable clock and the fault
 * rules of one node, and the audit trail of what is done with them. Exists only when the
 * `emulator` setting is on.
 */
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
  constructor(readonly clock: MovableClock, private readonly audit: AuditLog, afterMove: () => Promise<unknown>) {
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

  /** Moves the clock as `input` says (`advance`, `set` or `reset`), then waits for the sweeper turn it causes. */
  async moveClock(input: unknown, meta: RequestMeta): Promise<ClockView> {
    const move = moveClock(this.clock, input);
    this.audit.recordFromAddress(meta.ip, {
      action: 'emulator.clock-moved', outcome: 'success', correlationId: meta.correlationId, actorType: 'emulator',
      detail: { move: move.kind, from: new Date(move.fromMs).toISOString(), to: new Date(move.toMs).toISOString(), offsetSeconds: Math.round(this.clock.offset() / 1000) },
    });
    await this.settled();
    return this.clockView();
  }

  addFault(input: unknown, meta: RequestMeta): FaultRule {
    const rule = this.faults.add(input);
    this.audit.recordFromAddress(meta.ip, {
      action: 'emulator.fault-added', outcome: 'success', correlationId: meta.correlationId, actorType: 'emulator', detail: describe(rule),
    });
    return rule;
  }

  /** Clears one rule (answers whether it existed) or, without an id, all of them. */
  clearFaults(id: string | undefined, meta: RequestMeta): boolean {
    const cleared = this.faults.clear(id);
    if (cleared) {
      this.audit.recordFromAddress(meta.ip, {
        action: 'emulator.fault-cleared', outcome: 'success', correlationId: meta.correlationId, actorType: 'emulator', detail: { id: id ?? 'all' },
      });
    }
    return cleared;
  }

  /** The rule that fires for this request, if one does (recorded in the audit trail). */
  takeFault(facts: RequestFacts, meta: RequestMeta): FaultRule | undefined {
    const rule = this.faults.take(facts);
    if (rule) {
      this.audit.recordFromAddress(meta.ip, {
        action: 'emulator.fault-fired', outcome: 'success', correlationId: meta.correlationId, actorType: 'emulator',
        detail: { ...describe(rule), path: facts.path.slice(0, 256) },
      });
    }
    return rule;
  }
}

const describe = (rule: FaultRule) => ({ id: rule.id, match: rule.match, effect: rule.effect, remaining: rule.remaining, probability: rule.probability });
