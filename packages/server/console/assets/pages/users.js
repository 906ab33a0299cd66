/** "Users" of the company: create, unlock after failed sign-ins, reset a password, enable or disable. */
import { api } from '../api.js';
import { currentSession, pageHeading } from '../app.js';
import { badge, clearErrors, confirmDialog, field, h, openDialog, replace, showErrors, table, timeElement, toast } from '../dom.js';

export async function usersPage(container) {
  const results = h('div', { 'aria-live': 'polite' });
  const message = h('div', { role: 'status' });
  const me = currentSession().user.id;

  async function act(work, done) {
    replace(message);
    try {
      await work();
      toast(done);
      await load();
    } catch (error) {
      if (error.status !== 401) replace(message, h('p', { class: 'error', role: 'alert' }, error.message));
    }
  }

  /** Asks for a new password in a dialog; the lockout lifts and the user's console sessions end. */
  async function resetPassword(user) {
    const input = h('input', { type: 'password', id: 'new-password', autocomplete: 'new-password', minlength: '8', maxlength: '1024' });
    const answer = await openDialog({
      id: 'reset-password', title: `Reset password of ${user.loginId}`,
      body: [
        field({ id: 'new-password', label: 'New Password', hint: 'At least 8 characters. Tell it to the user over a safe channel.', control: input, required: true }),
        h('p', { class: 'muted small' }, 'A lock after failed sign-ins lifts, and the user\'s console sessions end.'),
      ],
      actions: [h('button', { value: 'cancel', class: 'secondary' }, 'Cancel'), h('button', { value: 'confirm' }, 'Set Password')],
    });
    if (answer !== 'confirm') return;
    const password = input.value;
    input.value = '';
    await act(() => api('POST', `/users/${user.id}/password`, { password }), `Password of ${user.loginId} reset`);
  }

  async function load() {
    const { items } = await api('GET', '/users');
    const rows = items.map((u) => h('tr', { 'data-user': u.loginId },
      h('td', {}, h('div', {}, u.loginId), h('div', { class: 'muted small mono' }, u.id)),
      h('td', {}, u.displayName ?? '—', u.email ? h('div', { class: 'muted small' }, u.email) : null),
      h('td', {}, u.administrator ? 'Web Services Administrator' : '—'),
      h('td', {}, u.status === 'disabled' ? badge('Disabled', 'off') : u.locked ? badge('Locked', 'off') : badge('Active', 'ok'),
        u.failedLogins ? h('div', { class: 'muted small' }, `${u.failedLogins} failed sign-in${u.failedLogins === 1 ? '' : 's'}`) : null),
      h('td', {}, timeElement(u.createdAt)),
      h('td', { class: 'row-actions' },
        u.locked || u.failedLogins ? h('button', { type: 'button', class: 'small', onclick: () => act(() => api('POST', `/users/${u.id}/unlock`), `${u.loginId} unlocked`) }, 'Unlock') : null,
        h('button', { type: 'button', class: 'secondary small', 'aria-label': `Reset password of ${u.loginId}`, onclick: () => resetPassword(u) }, 'Reset Password'),
        u.id === me ? null : u.status === 'disabled'
          ? h('button', { type: 'button', class: 'secondary small', onclick: () => act(() => api('PATCH', `/users/${u.id}`, { status: 'active' }), `${u.loginId} enabled`) }, 'Enable')
          : h('button', {
            type: 'button', class: 'danger small',
            onclick: async () => {
              if (await confirmDialog('Disable user?', `${u.loginId} will not be able to sign in or get tokens.`, 'Disable', true)) {
                await act(() => api('PATCH', `/users/${u.id}`, { status: 'disabled' }), `${u.loginId} disabled`);
              }
            },
          }, 'Disable'))));
    replace(results, table({
      caption: 'Users', rows,
      columns: ['Login ID', 'Name', 'Role', 'Status', 'Created', 'Actions'].map((c) => h('th', { scope: 'col' }, c)),
    }));
  }

  const inputs = {
    loginId: h('input', { type: 'text', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false' }),
    password: h('input', { type: 'password', autocomplete: 'new-password' }),
    email: h('input', { type: 'email', autocomplete: 'off' }),
    displayName: h('input', { type: 'text', autocomplete: 'off' }),
    administrator: h('input', { type: 'checkbox', id: 'user-admin' }),
  };
  const form = h('form', { class: 'card', novalidate: true },
    h('h2', {}, 'Create User'),
    field({ id: 'user-login-id', label: 'Login ID', control: inputs.loginId, required: true }),
    field({ id: 'user-password', label: 'Password', hint: 'At least 8 characters.', control: inputs.password, required: true }),
    field({ id: 'user-email', label: 'Email', control: inputs.email }),
    field({ id: 'user-display-name', label: 'Display Name', control: inputs.displayName }),
    h('div', { class: 'field' }, h('label', { class: 'choice', for: 'user-admin' }, inputs.administrator, ' Web Services Administrator (may use this console)')),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create User')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const body = { loginId: inputs.loginId.value, password: inputs.password.value, administrator: inputs.administrator.checked };
    if (inputs.email.value.trim()) body.email = inputs.email.value.trim();
    if (inputs.displayName.value.trim()) body.displayName = inputs.displayName.value.trim();
    try {
      const user = await api('POST', '/users', body);
      form.reset();
      toast(`${user.loginId} created`);
      await load();
    } catch (error) {
      if (error.status !== 401) {
        showErrors(form, error, { loginId: 'user-login-id', password: 'user-password', email: 'user-email', displayName: 'user-display-name' });
      }
    }
  });

  container.append(pageHeading('Users'), message, results, form);
  await load();
}
