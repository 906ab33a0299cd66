/**
 * Allowed Scopes: the catalog grouped as Concur groups it, a search box, and "Enter Manually" for
 * scopes outside the catalog. The chosen scopes show as removable chips.
 */
import { h, replace } from '../dom.js';

const scopePattern = /^[A-Za-z0-9._:-]{1,100}$/;

/** A scope name that may wrap after its dots (`identity.user.` / `coreenterprise.writeonly`). */
const breakable = (scope) => scope.split('.').flatMap((part, index) => (index ? ['.', h('wbr'), part] : [part]));

/** Answers `{element, selected()}`. */
export function scopePicker(groups, initial) {
  const chosen = new Set(initial);
  const known = new Set(groups.flatMap((group) => group.scopes));
  const boxes = new Map();
  const summary = h('div', { class: 'chips', 'aria-live': 'polite' });
  const search = h('input', { id: 'scope-search', type: 'search', placeholder: 'e.g. expense, user.read', autocomplete: 'off' });
  const manual = h('input', { id: 'scope-manual', type: 'text', class: 'mono', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'scope-manual-hint' });
  const manualHint = h('p', { class: 'hint', id: 'scope-manual-hint' }, 'Separate several scopes with spaces or commas; press Enter or “Add”.');

  const groupElements = groups.map((group, groupIndex) => {
    const checks = group.scopes.map((scope, scopeIndex) => {
      // Ids by position, never from the scope's text: `user.read` and `user_read` must not share one.
      const id = `scope-${groupIndex}-${scopeIndex}`;
      const box = h('input', { type: 'checkbox', id, value: scope, checked: chosen.has(scope) });
      box.addEventListener('change', () => toggle(scope, box.checked));
      if (!boxes.has(scope)) boxes.set(scope, []);
      boxes.get(scope).push(box);
      // The label wraps its box, so every box has its scope as accessible name.
      return h('label', { class: 'choice', for: id, 'data-scope': scope.toLowerCase() }, box, h('span', { class: 'mono scope-name' }, breakable(scope)));
    });
    const details = h('details', { class: 'scope-group', open: group.scopes.some((scope) => chosen.has(scope)) },
      h('summary', {}, group.name, h('span', { class: 'muted' }, ` (${group.scopes.length})`)),
      h('div', { class: 'choices columns' }, checks));
    return details;
  });

  function toggle(scope, on) {
    if (on) chosen.add(scope);
    else chosen.delete(scope);
    for (const box of boxes.get(scope) ?? []) box.checked = on;
    renderSummary();
  }

  function renderSummary() {
    const list = [...chosen];
    replace(summary,
      h('span', { class: 'muted' }, list.length ? `Selected (${list.length}):` : 'No scope selected yet.'),
      list.map((scope) => h('span', { class: 'chip' }, h('span', { class: 'mono' }, scope), known.has(scope) ? null : h('span', { class: 'muted small' }, ' (manual)'),
        h('button', { type: 'button', class: 'chip-remove', 'aria-label': `Remove scope ${scope}`, onclick: () => toggle(scope, false) }, '×'))));
  }

  function applySearch() {
    const term = search.value.trim().toLowerCase();
    for (const details of groupElements) {
      let visible = 0;
      for (const choice of details.querySelectorAll('[data-scope]')) {
        const match = !term || choice.dataset.scope.includes(term) || details.querySelector('summary').textContent.toLowerCase().includes(term);
        choice.hidden = !match;
        if (match) visible++;
      }
      details.hidden = visible === 0;
      if (term) details.open = visible > 0;
    }
  }

  function addManual() {
    const entered = manual.value.split(/[\s,]+/).filter(Boolean);
    const bad = entered.filter((scope) => !scopePattern.test(scope));
    for (const scope of entered.filter((s) => scopePattern.test(s))) toggle(scope, true);
    manual.value = bad.join(' ');
    manualHint.textContent = bad.length
      ? `Not a valid scope name: ${bad.join(', ')} (letters, digits, dots, underscores, colons and dashes).`
      : 'Separate several scopes with spaces or commas; press Enter or “Add”.';
  }

  search.addEventListener('input', applySearch);
  manual.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      addManual();
    }
  });
  renderSummary();

  const element = h('div', { class: 'scope-picker' },
    summary,
    h('div', { class: 'field inline' }, h('label', { for: 'scope-search' }, 'Search scopes'), search),
    h('div', { class: 'scope-groups' }, groupElements),
    h('div', { class: 'field' },
      h('label', { for: 'scope-manual' }, 'Enter Manually'),
      manualHint,
      h('div', { class: 'copy-row' }, manual, h('button', { type: 'button', class: 'secondary', onclick: addManual }, 'Add'))));
  return {
    element,
    /** The chosen scopes, including any typed in "Enter Manually" but not yet added. */
    selected: () => {
      if (manual.value.trim()) addManual();
      return [...chosen];
    },
  };
}
