/** "Authentication Admin": the landing page with the tools of the company's administrator. */
import { api } from '../api.js';
import { currentSession, pageHeading } from '../app.js';
import { confirmDialog, h, replace, toast } from '../dom.js';

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
      h('li', { class: 'tile' }, h('a', { href }, title), h('p', {}, text)))),
    await homeDatacenterSection());
  // The landing page is the last crumb itself.
  const crumbs = document.getElementById('breadcrumb');
  crumbs.lastElementChild?.remove();
  crumbs.lastElementChild?.replaceChildren(h('span', { 'aria-current': 'page' }, 'Authentication Admin'));
}

const datacenterLabel = (company) => (company.geolocation
  ? `${company.datacenter ? `${company.datacenter} · ` : ''}${company.geolocation}`
  : 'None: users are served by whichever datacenter they reach');

/**
 * The company's home datacenter (docs/protocol.md §10): where its users sign in, get one-time
 * passwords and refresh; elsewhere they are answered code 16 with this geolocation.
 */
async function homeDatacenterSection() {
  const section = h('section', { id: 'home-datacenter', 'aria-labelledby': 'home-datacenter-title' });
  const message = h('div', { role: 'status' });
  async function render() {
    const company = await api('GET', '/company');
    const select = h('select', { id: 'datacenter-choice' },
      h('option', { value: '' }, 'None (any datacenter)'),
      ...company.datacenters.map((dc) => h('option', { value: dc.name }, `${dc.name} · ${dc.url}`)));
    select.value = company.datacenter ?? '';
    const move = h('button', {
      type: 'button', class: 'secondary small',
      onclick: async () => {
        const choice = select.value || null;
        if (choice === (company.datacenter ?? null) && (choice !== null || company.geolocation === null)) return;
        const target = choice ?? 'no home datacenter';
        if (!await confirmDialog('Move the company?', `From now on your users sign in, get one-time passwords and refresh only on ${target}; elsewhere they are sent there (code 16).`, 'Move')) return;
        try {
          await api('PATCH', '/company', { datacenter: choice });
          toast(`Home datacenter: ${target}`);
          await render();
        } catch (error) {
          if (error.status !== 401) replace(message, h('p', { class: 'error', role: 'alert' }, error.message));
        }
      },
    }, 'Move');
    replace(section,
      h('h2', { id: 'home-datacenter-title' }, 'Home Datacenter'),
      h('p', {}, h('span', { 'data-home-datacenter': company.geolocation ?? '' }, datacenterLabel(company))),
      company.datacenters.length
        ? h('p', {}, h('label', { for: 'datacenter-choice' }, 'Move to '), select, ' ', move)
        : h('p', { class: 'muted small' }, 'This deployment serves one datacenter (set TESSERA_DATACENTERS for several).'),
      message);
  }
  await render();
  return section;
}
