/** "Audit Log": who did what and when, with outcome and correlation id; filter by app, principal, action, time. */
import { api, query } from '../api.js';
import { pageHeading, replaceQuery } from '../app.js';
import { badge, clearErrors, h, pager, replace, showErrors, table, timeElement } from '../dom.js';

const actions = [
  'token.issued', 'token.refused', 'token.rate-limited', 'audit.suppressed', 'connection.revoked', 'connection.refresh-retried', 'request-token.generated',
  'app.created', 'app.updated', 'app.enabled', 'app.disabled', 'app.deactivated',
  'secret.created', 'secret.activated', 'secret.deactivated', 'secret.deleted',
  'admin.signed-in', 'admin.signed-out', 'admin.token-issued', 'user.created', 'user.unlocked', 'user.enabled', 'user.disabled',
  'user.rate-limited', 'otp.sent', 'otp.not-sent', 'otp.refused', 'outbox.read',
];

/** `datetime-local` value ↔ ISO string. */
const toIso = (local) => (local ? new Date(local).toISOString() : '');
const toLocal = (iso) => {
  if (!iso || Number.isNaN(Date.parse(iso))) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

function who(event) {
  const { actor } = event;
  if (!actor.type && !actor.id) return '—';
  return h('span', {}, actor.name ?? h('span', { class: 'mono small' }, actor.id ?? actor.type), h('div', { class: 'muted small' }, actor.type ?? ''));
}

/** A name when the console knows one, else the id. */
const named = (name, id) => (name ? h('span', { title: id }, name) : id ? h('span', { class: 'mono small' }, id) : '—');

function details(event) {
  const parts = Object.entries(event.detail ?? {})
    .filter(([, value]) => value !== undefined && value !== null && value !== '')
    .map(([key, value]) => `${key}: ${Array.isArray(value) ? value.join(' ') : typeof value === 'object' ? JSON.stringify(value) : value}`);
  return parts.length ? h('span', { class: 'small detail' }, parts.join(' · ')) : '';
}

export async function auditLogPage(container, { query: params }) {
  const state = {
    appId: params.get('appId') ?? '', principalId: params.get('principalId') ?? '', action: params.get('action') ?? '',
    since: params.get('since') ?? '', until: params.get('until') ?? '', offset: Math.max(0, Number(params.get('offset')) || 0), limit: 50,
  };
  const inputs = {
    appId: h('input', { id: 'audit-app', type: 'text', class: 'mono', value: state.appId, autocomplete: 'off', placeholder: 'Client ID' }),
    principalId: h('input', { id: 'audit-principal', type: 'text', class: 'mono', value: state.principalId, autocomplete: 'off', placeholder: 'User, company or app id' }),
    action: h('input', { id: 'audit-action', type: 'text', value: state.action, list: 'audit-actions', autocomplete: 'off', placeholder: 'Any' }),
    since: h('input', { id: 'audit-since', type: 'datetime-local', value: toLocal(state.since) }),
    until: h('input', { id: 'audit-until', type: 'datetime-local', value: toLocal(state.until) }),
  };
  const labelled = (id, label, input) => h('div', { class: 'field' }, h('label', { for: id }, label), h('p', { class: 'field-error', id: `${id}-error` }), input);
  const form = h('form', { class: 'card filters', novalidate: true },
    h('div', { class: 'filter-grid' },
      labelled('audit-app', 'App (Client ID)', inputs.appId),
      labelled('audit-principal', 'Principal', inputs.principalId),
      labelled('audit-action', 'Action', inputs.action),
      labelled('audit-since', 'From', inputs.since),
      labelled('audit-until', 'Until', inputs.until)),
    h('datalist', { id: 'audit-actions' }, actions.map((a) => h('option', { value: a }))),
    h('div', { class: 'actions' },
      h('button', { type: 'submit' }, 'Apply Filters'),
      h('button', { type: 'button', class: 'secondary', onclick: () => { for (const input of Object.values(inputs)) input.value = ''; form.requestSubmit(); } }, 'Clear')));
  const results = h('div', { 'aria-live': 'polite' });

  async function load() {
    replaceQuery(container, { ...state, offset: state.offset || '', limit: '' });
    try {
      const page = await api('GET', `/audit${query(state)}`);
      clearErrors(form);
      const rows = page.items.map((e) => h('tr', {},
        h('td', { class: 'nowrap' }, timeElement(e.at)),
        h('td', {}, who(e)),
        h('td', { class: 'mono nowrap' }, e.action),
        h('td', { class: 'nowrap' }, e.outcome === 'success' ? badge('Success', 'ok') : badge(`Failure${e.code ? ` (${e.code})` : ''}`, 'off')),
        h('td', {}, e.appId ? h('a', { href: `#/apps/${e.appId}`, title: e.appId }, e.appName ?? e.appId) : '—'),
        h('td', {}, named(e.principalName, e.principalId)),
        h('td', { class: 'mono small break' }, e.correlationId ?? '—'),
        h('td', {}, details(e))));
      replace(results,
        table({
          caption: 'Audit events', rows,
          columns: ['When', 'Who', 'Action', 'Outcome', 'App', 'Principal', 'Correlation ID', 'Details'].map((c) => h('th', { scope: 'col' }, c)),
          empty: 'No event matches the filters.',
        }),
        pager({ ...page, label: 'events', onPage: (offset) => { state.offset = offset; void load(); } }));
    } catch (error) {
      if (error.status !== 401) showErrors(form, error, { appId: 'audit-app', principalId: 'audit-principal', action: 'audit-action', since: 'audit-since', until: 'audit-until' }, { title: 'Please fix the filters:' });
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    Object.assign(state, {
      appId: inputs.appId.value.trim(), principalId: inputs.principalId.value.trim(), action: inputs.action.value.trim(),
      since: toIso(inputs.since.value), until: toIso(inputs.until.value), offset: 0,
    });
    void load();
  });

  container.append(pageHeading('Audit Log'), form, results);
  await load();
}
