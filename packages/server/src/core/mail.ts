/**
 * The mail port (docs/architecture.md "Seams that matter"): core hands a `Mailer` a message; the
 * server chooses the adapter once. With `smtpUrl` set, an SMTP server receives it (nodemailer,
 * imported only then, so a server without mail starts as fast as before); without, it is kept in
 * the store's outbox for the recipient company's administrators (docs/admin-console.md "Outbox").
 */
import { randomUUID } from 'node:crypto';
import type { Store } from '../storage/types.js';
import type { Clock } from './clock.js';

/** A plain-text mail to one recipient, who belongs to `companyId`. */
export interface MailMessage {
  companyId: string;
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  /** Where mail goes: an SMTP server, or the store's outbox. */
  readonly kind: 'smtp' | 'outbox';
  /** Delivers the message (to the SMTP server, or into the outbox); rejects when it could not. */
  send(message: MailMessage): Promise<void>;
  close(): Promise<void>;
}

/** Keeps mail in the store, for the company's administrators to read (`GET /admin/api/outbox`). */
export class OutboxMailer implements Mailer {
  readonly kind = 'outbox' as const;

  constructor(private readonly store: Store, private readonly clock: Clock) {}

  async send(message: MailMessage): Promise<void> {
    await this.store.outbox.add({ id: randomUUID(), ...message, createdAt: this.clock.now() });
  }

  async close(): Promise<void> {}
}

/** The most one delivery may take, so a stalled mail server cannot hold requests open for long. */
const smtpTimeouts = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 } as const;

interface Transport {
  sendMail(message: { from: string; to: string; subject: string; text: string }): Promise<unknown>;
  close(): void;
}

/** Sends through the SMTP server at `url` (`smtp://` with STARTTLS when offered, `smtps://`); one connection per message. */
export class SmtpMailer implements Mailer {
  readonly kind = 'smtp' as const;
  #transport: Promise<Transport> | undefined;

  constructor(private readonly url: string, private readonly from: string) {}

  async send(message: MailMessage): Promise<void> {
    const transport = await (this.#transport ??= this.#open());
    await transport.sendMail({ from: this.from, to: message.to, subject: message.subject, text: message.text });
  }

  async close(): Promise<void> {
    const transport = this.#transport;
    this.#transport = undefined;
    if (transport) (await transport.catch(() => undefined))?.close();
  }

  async #open(): Promise<Transport> {
    const { default: nodemailer } = await import('nodemailer');
    return nodemailer.createTransport({ url: this.url, ...smtpTimeouts });
  }
}

/** The mailer the settings choose: SMTP when `smtpUrl` is set, else the outbox. */
export function createMailer(settings: { smtpUrl?: string | undefined; smtpFrom: string }, store: Store, clock: Clock): Mailer {
  return settings.smtpUrl ? new SmtpMailer(settings.smtpUrl, settings.smtpFrom) : new OutboxMailer(store, clock);
}
