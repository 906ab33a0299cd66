/** "Connections" of an app: each company or user connected, scopes, dates, refresh expiry; revoke one. */
import { api, query } from '../api.js';
import { pageHeading, replaceQuery } from '../app.js';
import { badge, confirmDialog, h, pager, replace, table, timeElement, toast } from '../dom.js';

const statusBadge = { active: ['Active', 'ok'], revoked: ['Revoked', 'off'], expired: ['Expired', 'off'] };

export async function connectionsPage(container, { params: [clientId], query: params }) {
  const app = await api('GET', `/apps/${encodeURIComponent(clientId)}`);
  const state = { status: params.get('status') ?? 'all', offset: Math.max(0, Number(params.get('offset')) || 0), limit: 50 };
  const results = h('div', { 'aria-live': 'polite' });
  const message = h('div', { role: 'status' });
  const status = h('select', { id: 'connection-status' },
    [['all', 'All'], ['active', 'Active'], ['revoked', 'Revoked'], ['expired', 'Expired']]
      .map(([value, label]) => h('option', { value, selected: value === state.status }, label)));
  status.addEventListener('change', () => { state.status = status.value; state.offset = 0; void load(); });

  async function revoke(connection) {
    const who = connection.principalName ?? connection.principalId;
    const ok = await confirmDialog('Revoke connection?',
      `Every refresh token of ${connection.principalType} “${who}” for this app stops working now (code 108). `
      + 'To connect again, generate a new Company Request Token (or sign in again).', 'Revoke', true);
    if (!ok) return;
    try {
      await api('DELETE', `/apps/${app.clientId}/connections/${connection.id}`);
      toast('Connection revoked');
      await load();
    } catch (error) {
      if (error.status !== 401) replace(message, h('p', { class: 'error', role: 'alert' }, error.message));
    }
  }

  async function load() {
    replaceQuery(container, { status: state.status === 'all' ? '' : state.status, offset: state.offset || '' });
    const page = await api('GET', `/apps/${app.clientId}/connections${query(state)}`);
    const rows = page.items.map((c) => h('tr', { 'data-connection': c.id },
      h('td', {}, h('div', {}, c.principalName ?? '—'), h('div', { class: 'muted small' }, `${c.principalType} · `, h('span', { class: 'mono' }, c.principalId))),
      h('td', {}, h('ul', { class: 'inline-list' }, c.scopes.map((s) => h('li', { class: 'mono' }, s)))),
      h('td', {}, timeElement(c.createdAt)),
      h('td', {}, timeElement(c.lastUsedAt)),
      h('td', {}, c.status === 'revoked' ? timeElement(c.revokedAt) : timeElement(c.refreshExpiresAt)),
      h('td', {}, badge(...statusBadge[c.status])),
      h('td', {}, c.status === 'active' ? h('button', { type: 'button', class: 'danger small', onclick: () => revoke(c) }, 'Revoke') : null)));
    replace(results,
      table({
        caption: 'Connections', rows,
        columns: ['Connected', 'Scopes', 'Created', 'Last Used', 'Refresh Token Expires / Revoked', 'Status', 'Actions'].map((c) => h('th', { scope: 'col' }, c)),
        empty: 'No company or user is connected yet. Generate a Company Request Token and convert it.',
      }),
      pager({ ...page, label: 'connections', onPage: (offset) => { state.offset = offset; void load(); } }));
  }

  container.append(
    pageHeading(`Connections of ${app.name}`, [['Application List', '#/apps'], [app.name, `#/apps/${app.clientId}`]]),
    h('p', { class: 'lead' }, 'Companies and users whose refresh tokens this app holds. Revoking a connection ends its refresh tokens at once.'),
    h('div', { class: 'toolbar' }, h('div', { class: 'field inline' }, h('label', { for: 'connection-status' }, 'Show'), status)),
    message,
    results);
  await load();
}
