/**
 * "Create New App" and "Edit": every field labelled, errors next to the field, nothing saved until
 * all is valid. Creating opens the "App Credentials" dialog with the client secret, shown once.
 */
import { api } from '../api.js';
import { navigate, pageHeading } from '../app.js';
import { clearErrors, copyField, field, fieldset, h, openDialog, showErrors, toast } from '../dom.js';
import { scopePicker } from './scope-picker.js';

const stages = [['development', 'Development'], ['test', 'Test'], ['production', 'Production']];
const appTypes = [['ws-client', 'Web Services (WS) Client'], ['ics-client', 'Integration with Concur Solutions (ICS) Client']];
/** docs/protocol.md Decision 14: a public app cannot keep a secret, so PKCE replaces it. */
const clientTypes = [
  ['confidential', 'Confidential: a server that keeps the client secret'],
  ['public', 'Public: a native or browser app that cannot keep a secret (PKCE required; no secret for codes and refresh tokens)'],
];

/** API field name → field id, for showing errors next to their field. */
const fieldIds = {
  name: 'app-name', description: 'app-description', stage: 'app-stage', appType: 'app-type', clientType: 'client-type', grants: 'grants',
  scopes: 'scopes', redirectUris: 'redirect-uris', listed: 'app-listed', connectUrl: 'connect-url', '': 'app-name',
};

export async function createAppPage(container) {
  await appForm(container, null);
}

export async function editAppPage(container, { params: [clientId] }) {
  await appForm(container, await api('GET', `/apps/${encodeURIComponent(clientId)}`));
}

async function appForm(container, app) {
  const catalog = await api('GET', '/catalog');
  const editing = app !== null;
  const name = h('input', { type: 'text', maxlength: '200', value: app?.name ?? '', autocomplete: 'off' });
  const description = h('textarea', { rows: '3', maxlength: '2000' });
  description.value = app?.description ?? '';
  const stage = h('select', {}, stages.map(([value, label]) => h('option', { value, selected: (app?.stage ?? 'development') === value }, label)));
  const typeRadios = appTypes.map(([value, label]) => h('label', { class: 'choice' },
    h('input', { type: 'radio', name: 'appType', value, checked: (app?.appType ?? 'ws-client') === value }), ` ${label}`));
  const clientTypeRadios = clientTypes.map(([value, label]) => h('label', { class: 'choice' },
    h('input', { type: 'radio', name: 'clientType', value, checked: (app?.clientType ?? 'confidential') === value }), ` ${label}`));
  const grantBoxes = catalog.grants.map((grant) => h('label', { class: 'choice' },
    h('input', { type: 'checkbox', name: 'grants', value: grant, checked: app ? app.grants.includes(grant) : ['password', 'refresh_token'].includes(grant) }),
    ' ', h('span', { class: 'mono' }, grant)));
  const picker = scopePicker(catalog.scopeGroups, app?.scopes ?? []);
  const redirectUris = h('textarea', { rows: '2', class: 'mono', spellcheck: 'false' });
  redirectUris.value = (app?.redirectUris ?? []).join('\n');
  const listed = h('input', { type: 'checkbox', checked: app?.listed ?? false });
  const connectUrl = h('input', { type: 'url', class: 'mono', value: app?.connectUrl ?? '', autocomplete: 'off', spellcheck: 'false', maxlength: '2000' });
  const submit = h('button', { type: 'submit' }, editing ? 'Save' : 'Submit');

  const form = h('form', { class: 'card', novalidate: true },
    field({ id: 'app-name', label: 'App Name', hint: 'Include the company, partner or team, e.g. “Acme Expense Sync”.', control: name, required: true }),
    field({ id: 'app-description', label: 'App Description', control: description, required: true }),
    field({ id: 'app-stage', label: 'App Stage', control: stage, required: true }),
    fieldset({ id: 'app-type', legend: 'Application Type', required: true }, h('div', { class: 'choices' }, typeRadios)),
    fieldset({ id: 'client-type', legend: 'Client Type', required: true }, h('div', { class: 'choices' }, clientTypeRadios)),
    fieldset({ id: 'grants', legend: 'Allowed Grants', hint: 'Choose one or more.', required: true }, h('div', { class: 'choices columns' }, grantBoxes)),
    fieldset({ id: 'scopes', legend: 'Allowed Scopes', hint: 'Choose from the catalog or enter scopes manually. At least one scope is required.', required: true }, picker.element),
    field({ id: 'redirect-uris', label: 'Redirect URIs', hint: 'For the authorization_code grant: one absolute URL per line (optional).', control: redirectUris }),
    fieldset({ id: 'app-listed', legend: 'App Center', hint: 'Offer the app to other companies: their administrators connect it from their App Center. Needs the password grant and a Connect URL.' },
      h('label', { class: 'choice' }, listed, ' Listed in the App Center')),
    field({ id: 'connect-url', label: 'Connect URL', hint: 'Where Connect sends the administrator, with id (Company UUID), requestToken and userID in the query: https (http only on localhost).', control: connectUrl }),
    h('div', { class: 'actions' },
      submit,
      h('a', { href: editing ? `#/apps/${app.clientId}` : '#/apps', class: 'button secondary' }, 'Cancel')));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const input = {
      name: name.value, description: description.value, stage: stage.value,
      appType: form.querySelector('input[name=appType]:checked')?.value,
      clientType: form.querySelector('input[name=clientType]:checked')?.value,
      grants: [...form.querySelectorAll('input[name=grants]:checked')].map((box) => box.value),
      scopes: picker.selected(),
      redirectUris: redirectUris.value.split(/\s+/).filter(Boolean),
      listed: listed.checked,
      connectUrl: connectUrl.value.trim() || null,
    };
    submit.disabled = true;
    try {
      if (editing) {
        await api('PATCH', `/apps/${app.clientId}`, input);
        toast('Saved');
        navigate(`/apps/${app.clientId}`);
      } else {
        const created = await api('POST', '/apps', input);
        await showCredentials(created);
        navigate(`/apps/${created.app.clientId}`);
      }
    } catch (error) {
      if (error.status !== 401) showErrors(form, error, fieldIds);
    } finally {
      submit.disabled = false;
    }
  });

  container.append(
    pageHeading(editing ? `Edit ${app.name}` : 'Create New App', editing
      ? [['Application List', '#/apps'], [app.name, `#/apps/${app.clientId}`]]
      : [['Application List', '#/apps']]),
    form);
}

/** The "App Credentials" dialog: Client ID and Client Secret with copy buttons, shown once. */
function showCredentials(created) {
  return openDialog({
    id: 'app-credentials',
    title: 'App Credentials',
    body: [
      h('p', {}, `“${created.app.name}” was created.`),
      copyField('credential-client-id', 'Client ID', created.app.clientId),
      copyField('credential-client-secret', 'Client Secret', created.clientSecret),
      h('p', { class: 'warning', role: 'note' },
        h('strong', {}, 'Copy the Client Secret now. '), 'It will not be shown again after you close this dialog. '
        + 'If it is lost, generate a new secret in App Details → Client Secrets.'),
    ],
    actions: [h('button', { value: 'done' }, 'Done')],
  });
}

