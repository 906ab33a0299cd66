/**
 * "App Center": the apps other companies list (docs/protocol.md §12 "App Center"). Connect makes
 * your company's request token for the app and sends the browser to the partner's Connect URL with
 * it, where the partner finishes the connection; Disconnect withdraws the app from your company.
 */
import { api, query } from '../api.js';
import { pageHeading, replaceQuery } from '../app.js';
import { badge, confirmDialog, h, pager, replace, toast } from '../dom.js';

const hostOf = (url) => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};

export async function appCenterPage(container, { query: params }) {
  const state = { offset: Math.max(0, Number(params.get('offset')) || 0), limit: 50 };
  const results = h('div', { 'aria-live': 'polite' });
  const message = h('div', { role: 'status' });

  const fail = (error) => {
    if (error.status !== 401) replace(message, h('p', { class: 'error', role: 'alert' }, error.message));
  };

  async function connect(app, button) {
    replace(message);
    button.disabled = true;
    try {
      const connected = await api('POST', `/app-center/${app.clientId}/connect`);
      replace(message, h('p', {}, `Opening ${hostOf(connected.redirectUrl)} to finish connecting “${app.name}”…`));
      // The request token travels to the partner in this URL, as on SAP Concur; it is not kept here.
      location.assign(connected.redirectUrl);
    } catch (error) {
      button.disabled = false;
      fail(error);
    }
  }

  async function disconnect(app) {
    const ok = await confirmDialog('Disconnect app?',
      `“${app.name}” can no longer obtain tokens for your company (code 53), and its connections to your company are revoked now. `
      + 'Connect again to restore it.', 'Disconnect', true);
    if (!ok) return;
    try {
      await api('DELETE', `/app-center/${app.clientId}/connection`);
      toast('App disconnected');
      await load();
    } catch (error) {
      fail(error);
    }
  }

  function card(app) {
    const headingId = `app-center-${app.clientId}`;
    const connectButton = app.connectable
      ? h('button', { type: 'button', 'aria-describedby': headingId }, app.connected ? 'Connect again' : 'Connect')
      : null;
    connectButton?.addEventListener('click', () => void connect(app, connectButton));
    return h('li', { class: 'tile app-center-app', 'data-app': app.clientId },
      h('h2', { id: headingId, class: 'tile-title' }, app.name),
      h('p', { class: 'muted' }, `by ${app.companyName}`),
      h('p', {}, app.description),
      h('p', {}, 'Scopes: ', h('span', { class: 'mono' }, app.scopes.join(' '))),
      app.connectable
        ? h('p', {}, 'Connect opens ', h('span', { class: 'mono' }, hostOf(app.connectUrl)))
        : h('p', {}, 'No longer offered in the App Center: you can disconnect it.'),
      h('p', {}, app.connected
        ? [badge('Connected', 'ok'), ` ${app.activeConnections} active connection${app.activeConnections === 1 ? '' : 's'}`]
        : badge('Not connected', 'neutral')),
      h('div', { class: 'actions' }, connectButton,
        app.connected
          ? h('button', { type: 'button', class: 'secondary', 'aria-describedby': headingId, onclick: () => disconnect(app) }, 'Disconnect')
          : null));
  }

  async function load() {
    replaceQuery(container, { offset: state.offset || '' });
    const page = await api('GET', `/app-center${query(state)}`);
    replace(results,
      page.items.length
        ? h('ul', { class: 'tiles', 'aria-label': 'Listed apps' }, page.items.map(card))
        : h('p', { class: 'muted' }, 'No other company lists an app yet. A company lists one in App Details → Edit: “Listed in the App Center” with a Connect URL.'),
      pager({ ...page, label: 'apps', onPage: (offset) => { state.offset = offset; void load(); } }));
  }

  container.append(
    pageHeading('App Center'),
    h('p', { class: 'lead' }, 'Apps of partner companies. Connect sends you to the partner with a request token for your company, '
      + 'which the partner converts into its connection to your company. You can disconnect an app at any time.'),
    message,
    results);
  await load();
}
