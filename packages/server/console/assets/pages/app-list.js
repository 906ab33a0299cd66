/** "Application List": filter, sortable columns, paging, and "Create New App". */
import { api, query } from '../api.js';
import { pageHeading, replaceQuery } from '../app.js';
import { badge, formatTime, h, pager, replace, table, timeElement } from '../dom.js';

const columns = [
  ['clientId', 'Client ID'],
  ['name', 'App Name'],
  ['description', 'App Description'],
  ['createdAt', 'Date Created'],
  ['updatedAt', 'Last Modified'],
  ['lastUsedAt', 'Status'],
];

export async function appListPage(container, { query: params }) {
  const state = {
    filter: params.get('filter') ?? '',
    sort: params.get('sort') ?? 'createdAt',
    order: params.get('order') === 'asc' ? 'asc' : 'desc',
    offset: Math.max(0, Number(params.get('offset')) || 0),
    limit: [25, 50, 100].includes(Number(params.get('limit'))) ? Number(params.get('limit')) : 25,
  };
  const results = h('div', { class: 'results', 'aria-live': 'polite' });
  const filter = h('input', { id: 'app-filter', type: 'search', value: state.filter, placeholder: 'Client ID or App Name', autocomplete: 'off' });
  const pageSize = h('select', { id: 'page-size' }, [25, 50, 100].map((n) => h('option', { value: String(n), selected: n === state.limit }, String(n))));

  async function load() {
    replaceQuery(container, { filter: state.filter, sort: state.sort, order: state.order, offset: state.offset || '', limit: state.limit === 25 ? '' : state.limit });
    const page = await api('GET', `/apps${query(state)}`);
    replace(results, renderTable(page), pager({
      ...page, label: 'apps',
      onPage: (offset) => { state.offset = offset; void load(); },
    }));
  }

  function sortBy(key) {
    if (state.sort === key) state.order = state.order === 'asc' ? 'desc' : 'asc';
    else { state.sort = key; state.order = key === 'createdAt' || key === 'updatedAt' || key === 'lastUsedAt' ? 'desc' : 'asc'; }
    state.offset = 0;
    void load().then(() => results.querySelector(`th[data-sort="${key}"] button`)?.focus());
  }

  function renderTable(page) {
    const headers = columns.map(([key, label]) => {
      const sorted = state.sort === key;
      return h('th', { scope: 'col', 'data-sort': key, 'aria-sort': sorted ? (state.order === 'asc' ? 'ascending' : 'descending') : 'none' },
        h('button', { type: 'button', class: 'sort', onclick: () => sortBy(key) }, label,
          h('span', { class: 'sort-mark', 'aria-hidden': 'true' }, sorted ? (state.order === 'asc' ? ' ▲' : ' ▼') : ' ↕')));
    });
    const rows = page.items.map((app) => h('tr', {},
      h('td', {}, h('a', { href: `#/apps/${app.clientId}`, class: 'mono' }, app.clientId)),
      h('td', {}, app.name),
      h('td', { class: 'clip' }, app.description),
      h('td', {}, timeElement(app.createdAt)),
      h('td', {}, timeElement(app.updatedAt)),
      h('td', {}, app.enabled ? badge('Enabled', 'ok') : badge('Disabled', 'off'),
        h('div', { class: 'muted small' }, app.lastUsedAt ? `Last used ${formatTime(app.lastUsedAt)}` : 'Never used'))));
    return table({
      caption: 'Applications', columns: headers, rows,
      empty: state.filter ? 'No app matches the filter.' : 'No apps yet. Use “Create New App”.',
    });
  }

  let debounce;
  filter.addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => { state.filter = filter.value.trim(); state.offset = 0; void load(); }, 250);
  });
  pageSize.addEventListener('change', () => { state.limit = Number(pageSize.value); state.offset = 0; void load(); });

  container.append(
    pageHeading('Application List'),
    h('div', { class: 'toolbar' },
      h('div', { class: 'field inline' }, h('label', { for: 'app-filter' }, 'Filter by Client ID, App Name'), filter),
      h('div', { class: 'field inline' }, h('label', { for: 'page-size' }, 'Per page'), pageSize),
      h('a', { href: '#/apps/new', class: 'button' }, 'Create New App')),
    results);
  await load();
}
