/**
 * "Company Request Token": App ID and Submit; the result shows the Company UUID, the Company
 * Request Token, when it expires, and the curl command of the password grant. Submitting again
 * replaces the previous token.
 */
import { api, query } from '../api.js';
import { pageHeading } from '../app.js';
import { clearErrors, copyButton, copyField, field, formatTime, h, replace, showErrors } from '../dom.js';

export async function requestTokenPage(container, { query: params }) {
  const appId = h('input', { type: 'text', class: 'mono', value: params.get('appId') ?? '', autocomplete: 'off', spellcheck: 'false', list: 'own-apps' });
  const apps = h('datalist', { id: 'own-apps' });
  const submit = h('button', { type: 'submit' }, 'Submit');
  const result = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'card narrow', novalidate: true },
    field({ id: 'app-id', label: 'App ID', hint: 'The Client ID of one of your company’s apps.', control: appId, required: true }),
    apps,
    h('div', { class: 'actions' }, submit));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    replace(result);
    submit.disabled = true;
    try {
      const issued = await api('POST', '/request-tokens', { appId: appId.value.trim() });
      showResult(issued);
    } catch (error) {
      if (error.status !== 401) showErrors(form, error, { appId: 'app-id', '': 'app-id' }, { title: 'No request token was generated. Please fix:' });
    } finally {
      submit.disabled = false;
    }
  });

  function showResult(issued) {
    const curl = h('pre', { class: 'code', id: 'curl-command', tabindex: '0' }, h('code', {}, issued.curl));
    replace(result, h('section', { class: 'card', 'aria-labelledby': 'token-heading', id: 'request-token-result' },
      h('h2', { id: 'token-heading', tabindex: '-1' }, `Company Request Token for “${issued.appName}”`),
      issued.warnings.map((warning) => h('p', { class: 'warning', role: 'alert' }, warning)),
      copyField('company-uuid', 'Company UUID', issued.companyUUID),
      copyField('company-request-token', 'Company Request Token', issued.requestToken),
      h('p', {}, 'Expires ', h('time', { datetime: issued.expiresAt, id: 'request-token-expires' }, formatTime(issued.expiresAt)),
        `. Convert it within 24 hours with the password grant (credtype=authtoken); it can be used up to ${issued.maxUses} times, `
        + 'so a client can retry after a network failure. Submitting again replaces it.'),
      h('h3', {}, 'Convert it into a refresh token'),
      h('p', { class: 'hint' }, 'Every value is filled in but the client secret.'),
      curl,
      h('div', { class: 'actions' }, copyButton('Copy curl command', () => issued.curl))));
    result.querySelector('h2').focus();
  }

  container.append(
    pageHeading('Company Request Token'),
    h('p', { class: 'lead' }, 'Generate the token that connects an app to your company (step 2 of 4). '
      + 'The integration converts it once into a refresh token.'),
    form,
    result);

  try {
    const page = await api('GET', `/apps${query({ limit: 200, sort: 'name', order: 'asc' })}`);
    replace(apps, page.items.map((app) => h('option', { value: app.clientId }, app.name)));
  } catch {
    // The suggestions are a convenience only.
  }
}
