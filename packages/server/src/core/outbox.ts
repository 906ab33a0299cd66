/**
 * The outbox (docs/admin-console.md "Outbox"): with no SMTP server configured, mail is kept in the
 * store for the administrators of the recipient's company, who read it in the console, through
 * `GET /admin/api/outbox` and with `tessera admin outbox --json`: this one function for all three.
 * The mail holds one-time passwords that work for 15 minutes, so every read is audited.
 */
import type { AdminContext } from './admin.js';
import type { Core } from './context.js';

/** The newest messages an outbox listing shows. */
export const OutboxListLimit = 100;

/** One message as the admin API, the console and the CLI show it (a shared contract: keep the fields). */
export interface OutboxMessageView {
  id: string;
  to: string;
  subject: string;
  text: string;
  createdAt: string;
}

/** The newest mail of the context's company, newest first (at most {@link OutboxListLimit}); audited as `outbox.read`. */
export async function listOutboxFor(core: Core, ctx: AdminContext): Promise<OutboxMessageView[]> {
  const messages = await core.store.outbox.listByCompany(ctx.company.id, OutboxListLimit);
  core.audit.record({
    action: 'outbox.read', outcome: 'success', ...ctx.actor, companyId: ctx.company.id, principalId: ctx.actor.actorId,
    detail: { messages: messages.length },
  });
  return messages.map((m) => ({ id: m.id, to: m.to, subject: m.subject, text: m.text, createdAt: new Date(m.createdAt).toISOString() }));
}
