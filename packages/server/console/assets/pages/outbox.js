/**
 * "Outbox": the mail Tessera keeps for the company's users while no SMTP server is configured
 * (one-time passwords, docs/admin-console.md "Outbox"), newest first. Each read is audited: the
 * codes in it work for 15 minutes, as if read from the users' mailboxes.
 */
import { api } from '../api.js';
import { pageHeading } from '../app.js';
import { h, replace, table, timeElement } from '../dom.js';

export async function outboxPage(container) {
  const results = h('div', { 'aria-live': 'polite' });

  async function load() {
    const messages = await api('GET', '/outbox');
    const rows = messages.map((m) => h('tr', {},
      h('td', { class: 'nowrap' }, timeElement(m.createdAt)),
      h('td', { class: 'break' }, m.to),
      h('td', {}, m.subject),
      h('td', {}, h('pre', { class: 'mail-text' }, m.text))));
    replace(results, table({
      caption: 'Outbox mail', rows,
      columns: ['When', 'To', 'Subject', 'Message'].map((c) => h('th', { scope: 'col' }, c)),
      empty: 'No mail in the outbox.',
    }));
  }

  container.append(
    pageHeading('Outbox'),
    h('p', { class: 'lead' },
      'Mail for your company\'s users, kept here because no SMTP server is configured (TESSERA_SMTP_URL). ',
      'One-time passwords in it work once, for 15 minutes: hand them only to the user they were sent to. ',
      'Mail is deleted after a day (TESSERA_OUTBOX_RETENTION_HOURS); every read of this page is recorded in the Audit Log.'),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', onclick: () => void load() }, 'Refresh')),
    results);
  await load();
}
