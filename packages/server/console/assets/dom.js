/**
 * Small DOM helpers for the console. Every text goes in as a text node (never innerHTML), so
 * nothing a user typed can become markup.
 */

/**
 * Creates an element: `h('a', { href: '#/', class: 'x', onclick: fn }, 'text', child)`.
 * Attributes set to false, null or undefined are left out; `true` sets a boolean attribute.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'value') element.value = value;
    else if (name === 'checked') element.checked = Boolean(value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `element`. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A readable local date and time for an ISO string, or `fallback` when there is none. */
export function formatTime(iso, fallback = '—') {
  if (!iso) return fallback;
  return dateTime.format(new Date(iso));
}

/** A `<time>` element for an ISO string. */
export const timeElement = (iso, fallback = '—') => (iso ? h('time', { datetime: iso, title: iso }, formatTime(iso)) : fallback);

/** Copies text to the clipboard (with a fallback for browsers without the async API). */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = h('textarea', { class: 'visually-hidden', 'aria-hidden': 'true' });
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
}

/** A "Copy" button for the value of `getText()`; says "Copied" for a moment. */
export function copyButton(label, getText) {
  const button = h('button', { type: 'button', class: 'secondary small', 'aria-label': label }, 'Copy');
  button.addEventListener('click', async () => {
    await copyText(getText());
    button.textContent = 'Copied';
    toast(`${label.replace(/^Copy /, '')} copied to the clipboard`);
    setTimeout(() => { button.textContent = 'Copy'; }, 2000);
  });
  return button;
}

/** A read-only value with its label and a copy button. */
export function copyField(id, label, value) {
  const input = h('input', { id, type: 'text', readonly: true, value, class: 'mono', spellcheck: 'false' });
  return h('div', { class: 'field copy-field' },
    h('label', { for: id }, label),
    h('div', { class: 'copy-row' }, input, copyButton(`Copy ${label}`, () => input.value)));
}

/** Shows a short message in the live region. */
export function toast(message) {
  const region = document.getElementById('toast');
  if (!region) return;
  region.textContent = message;
  region.classList.add('visible');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => region.classList.remove('visible'), 3000);
}

/** A labelled form field: `{id, label, hint, control}`; the error slot is `#${id}-error`. */
export function field({ id, label, hint, control, required = false }) {
  control.id = id;
  const described = [hint ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(' ');
  control.setAttribute('aria-describedby', described);
  if (required) control.setAttribute('aria-required', 'true');
  return h('div', { class: 'field', 'data-field': id },
    h('label', { for: id }, label, required ? h('span', { class: 'required', 'aria-hidden': 'true' }, ' *') : null),
    hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null,
    h('p', { class: 'field-error', id: `${id}-error` }),
    control);
}

/** A fieldset of related controls (radios, checkboxes) with a legend and an error slot. */
export function fieldset({ id, legend, hint, required = false }, ...controls) {
  return h('fieldset', { class: 'field', id, 'data-field': id, 'aria-describedby': [hint ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(' ') },
    h('legend', {}, legend, required ? h('span', { class: 'required', 'aria-hidden': 'true' }, ' *') : null),
    hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null,
    h('p', { class: 'field-error', id: `${id}-error` }),
    ...controls);
}

/** Clears every field error in `form`. */
export function clearErrors(form) {
  for (const slot of form.querySelectorAll('.field-error')) slot.textContent = '';
  for (const invalid of form.querySelectorAll('[aria-invalid]')) invalid.removeAttribute('aria-invalid');
  form.querySelector('.error-summary')?.remove();
}

/**
 * Shows the API's field errors next to their fields (`map` turns an API field name into a field
 * id) and a summary with links on top; focuses the summary. `title` heads the summary. A field's
 * error (and its line in the summary) goes away as soon as the user changes that field.
 */
export function showErrors(form, error, map = {}, { title = 'Nothing was saved. Please fix:' } = {}) {
  clearErrors(form);
  const fields = error.fields?.length ? error.fields : [{ field: '', message: error.message }];
  const list = h('ul', {});
  const summary = h('div', { class: 'error-summary', role: 'alert', tabindex: '-1' }, h('h2', {}, title), list);
  const flagged = new Map();
  for (const { field: name, message } of fields) {
    const id = map[name.split('.')[0]] ?? map[''] ?? null;
    const slot = id ? form.querySelector(`#${id}-error`) : null;
    if (slot) {
      slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : capitalize(message);
      form.querySelector(`#${id}`)?.setAttribute('aria-invalid', 'true');
      const label = form.querySelector(`label[for="${id}"], #${id} > legend`)?.firstChild?.textContent ?? name;
      const item = h('li', {}, h('a', { href: `#${id}`, onclick: (event) => { event.preventDefault(); focusField(form, id); } }, `${label}: ${message}`));
      list.append(item);
      if (!flagged.has(id)) flagged.set(id, []);
      flagged.get(id).push(item);
    } else {
      list.append(h('li', {}, name ? `${name}: ${message}` : message));
    }
  }
  for (const [id, items] of flagged) clearWhenChanged(form, id, items, summary);
  form.prepend(summary);
  summary.focus();
}

/** Clears the error of field `id` (and its summary lines) on the first change to that field. */
function clearWhenChanged(form, id, items, summary) {
  const container = form.querySelector(`[data-field="${id}"]`);
  if (!container) return;
  const done = new AbortController();
  const clear = () => {
    done.abort();
    const slot = form.querySelector(`#${id}-error`);
    if (slot) slot.textContent = '';
    form.querySelector(`#${id}`)?.removeAttribute('aria-invalid');
    for (const item of items) item.remove();
    if (!summary.querySelector('li')) summary.remove();
  };
  container.addEventListener('input', clear, { signal: done.signal });
  container.addEventListener('change', clear, { signal: done.signal });
}

function focusField(form, id) {
  const target = form.querySelector(`#${id}`);
  const focusable = target?.matches('fieldset') ? target.querySelector('input, select, textarea, button') : target;
  focusable?.focus();
}

const capitalize = (text) => text.charAt(0).toUpperCase() + text.slice(1);

/** Opens a modal `<dialog>` (focus is trapped by the browser); resolves with its return value when closed. */
export function openDialog({ title, body, actions = [], id }) {
  const titleId = `${id ?? 'dialog'}-title`;
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId, id },
    h('h2', { id: titleId }, title),
    h('div', { class: 'dialog-body' }, body),
    h('form', { method: 'dialog', class: 'actions' }, actions.length ? actions : h('button', { value: 'close' }, 'Close')));
  document.body.append(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue);
    });
    dialog.showModal();
  });
}

/** Asks a yes/no question in a modal dialog; resolves true for yes. */
export async function confirmDialog(title, message, confirmLabel = 'OK', danger = false) {
  const answer = await openDialog({
    title, body: h('p', {}, message), id: 'confirm-dialog',
    actions: [
      h('button', { value: 'cancel', class: 'secondary' }, 'Cancel'),
      h('button', { value: 'confirm', class: danger ? 'danger' : '' }, confirmLabel),
    ],
  });
  return answer === 'confirm';
}

/** Paging controls: "Showing 1–25 of 300" with Previous and Next. */
export function pager({ offset, limit, total, onPage, label = 'rows' }) {
  const first = total === 0 ? 0 : offset + 1;
  const last = Math.min(offset + limit, total);
  return h('nav', { class: 'pager', 'aria-label': 'Pages' },
    h('span', { class: 'muted' }, `Showing ${first.toLocaleString()}–${last.toLocaleString()} of ${total.toLocaleString()} ${label}`),
    h('button', { type: 'button', class: 'secondary small', disabled: offset === 0, onclick: () => onPage(Math.max(0, offset - limit)) }, '‹ Previous'),
    h('button', { type: 'button', class: 'secondary small', disabled: last >= total, onclick: () => onPage(offset + limit) }, 'Next ›'));
}

/** A table in a horizontally scrolling wrapper (narrow windows). */
export function table({ caption, columns, rows, empty = 'Nothing here yet.' }) {
  return h('div', { class: 'table-wrap', role: 'region', 'aria-label': caption, tabindex: '0' },
    h('table', {},
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', {}, h('tr', {}, columns)),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: String(columns.length), class: 'muted' }, empty)))));
}

/** A status badge. */
export const badge = (text, kind = 'neutral') => h('span', { class: `badge ${kind}` }, text);
