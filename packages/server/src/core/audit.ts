/**
 * The audit trail: who did what, to which app and principal, with what outcome and under
 * which correlation id. Never a secret. Events are buffered and written in one transaction
 * per flush, so the token path does not pay a write per event.
 */
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { AuditEvent, AuditRepository } from '../storage/types.js';

export type AuditInput = Partial<Omit<AuditEvent, 'at' | 'action' | 'outcome'>> & Pick<AuditEvent, 'action' | 'outcome'>;

export class AuditLog {
  private pending: AuditEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly repository: AuditRepository,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly flushDelayMs = 50,
    private readonly maxPending = 500,
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
}
