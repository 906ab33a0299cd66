/**
 * The console's frame: a hash router over small page modules, the signed-in session (from
 * GET /admin/api/session), the breadcrumb and the idle timer. Pages import their helpers from here.
 */
import { api, lastRequestAt, onSessionEnded, setCsrfToken } from './api.js';
import { h, replace } from './dom.js';
import { refreshEmulatorBanner } from './emulator-banner.js';

/** Routes: a path pattern, the page module, and the page function's name in it. */
const routes = [
  [/^\/$/, './pages/landing.js', 'landingPage'],
  [/^\/apps$/, './pages/app-list.js', 'appListPage'],
  [/^\/apps\/new$/, './pages/app-form.js', 'createAppPage'],
  [/^\/apps\/([^/]+)$/, './pages/app-details.js', 'appDetailsPage'],
  [/^\/apps\/([^/]+)\/edit$/, './pages/app-form.js', 'editAppPage'],
  [/^\/apps\/([^/]+)\/connections$/, './pages/connections.js', 'connectionsPage'],
  [/^\/request-token$/, './pages/request-token.js', 'requestTokenPage'],
  [/^\/app-center$/, './pages/app-center.js', 'appCenterPage'],
  [/^\/audit$/, './pages/audit-log.js', 'auditLogPage'],
  [/^\/users$/, './pages/users.js', 'usersPage'],
  [/^\/outbox$/, './pages/outbox.js', 'outboxPage'],
];

const main = document.getElementById('main');
let session = null;
let idleTimer = null;
/** Counts renders: a render that a later navigation superseded stops touching the page. */
let renderCount = 0;

/** The current route: path and query of the hash (`#/apps?filter=x`). */
export function currentRoute() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, search = ''] = hash.split('?');
  return { path: path || '/', query: new URLSearchParams(search) };
}

/** Goes to a console path (`/apps/…`). */
export function navigate(path) {
  if (location.hash === `#${path}`) void render();
  else location.hash = path;
}

/**
 * Changes the query of the page in `container` without a new history entry or a re-render. A page
 * that has been left (its list was still loading when the next page opened) changes nothing.
 */
export function replaceQuery(container, params) {
  if (!container.isConnected) return;
  const { path } = currentRoute();
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  history.replaceState(null, '', `#${path}${text ? `?${text}` : ''}`);
}

/** The signed-in administrator: `{user, company, csrfToken, idleTimeoutSeconds}`. */
export const currentSession = () => session;

/** Sets the page title, the breadcrumb, and the heading that receives focus. */
export function pageHeading(title, trail = []) {
  document.title = `${title} · Authentication Admin · Tessera`;
  const crumbs = [['Administration', null], ['Company', null], ['Authentication Admin', '#/'], ...trail, [title, null]];
  replace(document.getElementById('breadcrumb'), crumbs.map(([label, href], index) =>
    h('li', {}, href && index < crumbs.length - 1 ? h('a', { href }, label) : h('span', index === crumbs.length - 1 ? { 'aria-current': 'page' } : {}, label))));
  return h('h1', { tabindex: '-1', id: 'page-title' }, title);
}

function renderAccount() {
  const account = document.getElementById('account');
  if (!session) return replace(account);
  replace(account,
    h('span', { class: 'who' }, session.user.displayName || session.user.loginId, h('span', { class: 'muted' }, ` · ${session.company.name}`)),
    h('button', { type: 'button', class: 'secondary small', onclick: signOut }, 'Sign Out'));
}

async function signOut() {
  try {
    await api('DELETE', '/session');
  } finally {
    await showSignIn('You have signed out.');
  }
}

/** Starts over at the sign-in page, with a message. */
async function showSignIn(message) {
  session = null;
  clearInterval(idleTimer);
  renderAccount();
  const state = await api('GET', '/session');
  setCsrfToken(state.csrfToken);
  const { signInPage } = await import('./pages/sign-in.js');
  await signInPage(main, { message, onSignedIn: startSession });
  main.querySelector('h1')?.focus();
}

function startSession(state) {
  session = state;
  setCsrfToken(state.csrfToken);
  renderAccount();
  clearInterval(idleTimer);
  // The server ends an idle session; the page says so as soon as that happens.
  idleTimer = setInterval(() => {
    if (session && Date.now() - lastRequestAt() > session.idleTimeoutSeconds * 1000) {
      void showSignIn('Your session ended after a period without activity. Please sign in again.');
    }
  }, 15_000);
  void render();
}

/**
 * Renders the page of the current hash. Renders overlap when the user moves on before a page has
 * loaded (clicks "Create New App" while the list is still loading): only the latest one may
 * replace the page or move the focus, so the older one cannot render over it or take the focus
 * from a field the user is typing in.
 */
async function render() {
  if (!session) return;
  void refreshEmulatorBanner();
  const ticket = ++renderCount;
  const superseded = () => ticket !== renderCount;
  const { path, query } = currentRoute();
  const route = routes.find(([pattern]) => pattern.test(path));
  const container = h('div', { class: 'page' });
  try {
    if (!route) throw Object.assign(new Error('There is no such page.'), { status: 404 });
    const [pattern, module, name] = route;
    const params = path.match(pattern).slice(1).map(decodeURIComponent);
    const page = (await import(module))[name];
    if (superseded()) return;
    replace(main, container);
    await page(container, { params, query });
  } catch (error) {
    if (error.status === 401 || superseded()) return;
    replace(main, h('div', { class: 'page' },
      pageHeading(error.status === 404 ? 'Not found' : 'Something went wrong'),
      h('p', { role: 'alert' }, error.message),
      error.correlationId ? h('p', { class: 'muted' }, `Correlation id: ${error.correlationId}`) : null,
      h('p', {}, h('a', { href: '#/' }, 'Back to Authentication Admin'))));
  }
  if (superseded()) return;
  // Focus the heading for screen readers, unless the user has already gone to a field.
  if (!main.contains(document.activeElement) || document.activeElement === main) main.querySelector('h1')?.focus();
}

/** Boots the console: the session if there is one, else the sign-in page. */
export async function start() {
  onSessionEnded(() => void showSignIn('Your session has ended. Please sign in again.'));
  window.addEventListener('hashchange', () => void render());
  const state = await api('GET', '/session');
  if (state.signedIn) startSession(state);
  else await showSignIn();
}
