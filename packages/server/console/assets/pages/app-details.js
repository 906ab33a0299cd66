/**
 * "App Details": every field, Enabled yes/no, last use and when inactivity will disable the app
 * (Decision 7), and "Client Secrets": generate (shown once), activate, deactivate, delete.
 */
import { api } from '../api.js';
import { navigate, pageHeading } from '../app.js';
import { badge, confirmDialog, copyField, formatTime, h, openDialog, replace, table, timeElement, toast } from '../dom.js';

const stageNames = { development: 'Development', test: 'Test', production: 'Production' };
const typeNames = { 'ws-client': 'Web Services (WS) Client', 'ics-client': 'Integration with Concur Solutions (ICS) Client' };

const list = (values, empty = '—') => (values.length
  ? h('ul', { class: 'inline-list' }, values.map((v) => h('li', { class: 'mono' }, v)))
  : empty);

export async function appDetailsPage(container, { params: [clientId] }) {
  const app = await api('GET', `/apps/${encodeURIComponent(clientId)}`);
  const status = h('div', { class: 'status-line', role: 'status', 'aria-live': 'polite' });
  const secretsArea = h('div');

  async function setEnabled(enabled) {
    if (!enabled && !(await confirmDialog('Disable app?', `“${app.name}” will answer code 59 (client disabled) at the token endpoint until it is enabled again.`, 'Disable', true))) return;
    await api('PATCH', `/apps/${app.clientId}`, { enabled });
    toast(enabled ? 'App enabled' : 'App disabled');
    navigate(`/apps/${app.clientId}`);
  }

  const inactivity = !app.enabled
    ? 'Disabled: enable the app to use it again.'
    : app.inactivity.deactivatesAt
      ? `Will be deactivated on ${formatTime(app.inactivity.deactivatesAt)} unless used before (after ${app.inactivity.days} days unused).`
      : 'Never deactivated for inactivity (setting off).';

  const rows = [
    ['Client ID', h('span', { class: 'mono' }, app.clientId)],
    ['App Name', app.name],
    ['App Description', app.description],
    ['App Stage', stageNames[app.stage] ?? app.stage],
    ['Application Type', typeNames[app.appType] ?? app.appType],
    ['Client Type', app.clientType === 'public' ? 'Public (PKCE required, no secret for codes and refresh tokens)' : 'Confidential'],
    ['Allowed Grants', list(app.grants)],
    ['Allowed Scopes', list(app.scopes)],
    ['Redirect URIs', list(app.redirectUris)],
    ['Listed in the App Center', app.listed
      ? h('span', {}, badge('Yes', 'ok'), ` · connected by ${app.connectedCompanies} other compan${app.connectedCompanies === 1 ? 'y' : 'ies'}`)
      : badge('No', 'off')],
    ['Connect URL', app.connectUrl ? h('span', { class: 'mono' }, app.connectUrl) : '—'],
    ['Enabled', h('span', {}, app.enabled ? badge('Yes', 'ok') : badge('No', 'off'), ' ',
      h('button', { type: 'button', class: 'secondary small', onclick: () => setEnabled(!app.enabled) }, app.enabled ? 'Disable' : 'Enable'))],
    ['Date Created', timeElement(app.createdAt)],
    ['Last Modified', timeElement(app.updatedAt)],
    ['Last Used', timeElement(app.lastUsedAt, 'Never')],
    ['Inactivity', inactivity],
  ];

  container.append(
    pageHeading(app.name, [['Application List', '#/apps']]),
    h('div', { class: 'toolbar' },
      h('a', { href: `#/apps/${app.clientId}/edit`, class: 'button' }, 'Edit'),
      h('a', { href: `#/apps/${app.clientId}/connections`, class: 'button secondary' }, 'Connections'),
      h('a', { href: `#/request-token?appId=${app.clientId}`, class: 'button secondary' }, 'Company Request Token'),
      h('a', { href: `#/audit?appId=${app.clientId}`, class: 'button secondary' }, 'Audit Log')),
    h('section', { class: 'card', 'aria-labelledby': 'details-heading' },
      h('h2', { id: 'details-heading' }, 'App Details'),
      h('dl', { class: 'details' }, rows.map(([label, value]) => [h('dt', {}, label), h('dd', {}, value)]))),
    h('section', { class: 'card', 'aria-labelledby': 'secrets-heading' },
      h('h2', { id: 'secrets-heading' }, 'Client Secrets'),
      h('p', { class: 'hint' }, 'Rotate without downtime: generate a new secret (it starts Inactive), activate it, switch your integration to it, '
        + 'then deactivate and delete the old one. An app holds up to 5 secrets, at most 2 of them active.'),
      status,
      secretsArea));

  async function run(work, done) {
    replace(status);
    try {
      await work();
      if (done) toast(done);
      await renderSecrets();
    } catch (error) {
      if (error.status !== 401) replace(status, h('p', { class: 'error', role: 'alert' }, error.message));
    }
  }

  async function renderSecrets() {
    const secrets = await api('GET', `/apps/${app.clientId}/secrets`);
    const active = secrets.filter((s) => s.status === 'Active').length;
    const rowsOf = secrets.map((secret) => h('tr', { 'data-secret': secret.id },
      h('td', { class: 'mono' }, secret.id),
      h('td', {}, secret.status === 'Active' ? badge('Active', 'ok') : badge('Inactive', 'off')),
      h('td', {}, timeElement(secret.createdAt)),
      h('td', {}, timeElement(secret.updatedAt)),
      h('td', { class: 'row-actions' },
        secret.status === 'Active'
          ? h('button', { type: 'button', class: 'secondary small', onclick: () => deactivate(secret, active) }, 'Deactivate')
          : [
            h('button', { type: 'button', class: 'small', onclick: () => run(() => api('PATCH', `/apps/${app.clientId}/secrets/${secret.id}`, { status: 'active' }), 'Secret activated') }, 'Activate'),
            h('button', { type: 'button', class: 'danger small', onclick: () => remove(secret) }, 'Delete'),
          ])));
    replace(secretsArea,
      table({
        caption: 'Client secrets', rows: rowsOf,
        columns: ['Secret ID', 'Status', 'Created', 'Updated', 'Actions'].map((c) => h('th', { scope: 'col' }, c)),
        empty: 'This app has no secret.',
      }),
      h('div', { class: 'actions' }, h('button', { type: 'button', onclick: generate, disabled: secrets.length >= 5 }, 'Generate New Secret'),
        secrets.length >= 5 ? h('span', { class: 'muted' }, ' Delete an inactive secret to make room.') : null));
  }

  async function deactivate(secret, active) {
    const last = active <= 1;
    const ok = await confirmDialog('Deactivate secret?', last
      ? 'This is the only active secret: the app cannot obtain tokens until another secret is activated.'
      : 'Clients using this secret get code 64 from now on.', 'Deactivate', true);
    if (ok) await run(() => api('PATCH', `/apps/${app.clientId}/secrets/${secret.id}`, { status: 'inactive' }), 'Secret deactivated');
  }

  async function remove(secret) {
    if (await confirmDialog('Delete secret?', `Secret ${secret.id} will be deleted for good.`, 'Delete', true)) {
      await run(() => api('DELETE', `/apps/${app.clientId}/secrets/${secret.id}`), 'Secret deleted');
    }
  }

  async function generate() {
    await run(async () => {
      const created = await api('POST', `/apps/${app.clientId}/secrets`);
      await openDialog({
        id: 'new-secret',
        title: 'New Client Secret',
        body: [
          copyField('new-secret-id', 'Secret ID', created.id),
          copyField('new-secret-value', 'Client Secret', created.secret),
          h('p', { class: 'warning', role: 'note' }, h('strong', {}, 'Copy the Client Secret now. '),
            'It will not be shown again. It is Inactive: activate it before your integration uses it.'),
        ],
        actions: [h('button', { value: 'done' }, 'Done')],
      });
    }, 'Secret generated');
  }

  await renderSecrets();
}
