/** "Authentication Admin": the landing page with the tools of the company's administrator. */
import { currentSession, pageHeading } from '../app.js';
import { h } from '../dom.js';

const tools = [
  ['#/apps', 'OAuth 2.0 Application Management', 'Create web applications, edit them, enable or disable them, and rotate their client secrets.'],
  ['#/request-token', 'Company Request Token', 'Generate the request token an integration converts into a refresh token for your company.'],
  ['#/app-center', 'App Center', 'Connect apps that partner companies offer: the partner receives a request token for your company.'],
  ['#/audit', 'Audit Log', 'Who did what and when: tokens issued and refused, apps and secrets changed, connections revoked.'],
  ['#/users', 'Users', 'The users of your company: create them, unlock them after failed sign-ins, disable them.'],
  ['/account/connected-apps', 'My connected apps', 'The apps you allowed to access your own account, and withdrawing them.'],
  ['#/outbox', 'Outbox', 'Mail for your users (one-time passwords) kept here while no SMTP server is configured.'],
];

export async function landingPage(container) {
  const { company } = currentSession();
  container.append(
    pageHeading('Authentication Admin', []),
    h('p', { class: 'lead' }, `Company: ${company.name}`, h('br'), h('span', { class: 'muted mono' }, `Company UUID ${company.id}`)),
    h('ul', { class: 'tiles' }, tools.map(([href, title, text]) =>
      h('li', { class: 'tile' }, h('a', { href }, title), h('p', {}, text)))));
  // The landing page is the last crumb itself.
  const crumbs = document.getElementById('breadcrumb');
  crumbs.lastElementChild?.remove();
  crumbs.lastElementChild?.replaceChildren(h('span', { 'aria-current': 'page' }, 'Authentication Admin'));
}
