/** Sign-in: login id and password of a Web Services Administrator. */
import { api, setCsrfToken } from '../api.js';
import { pageHeading } from '../app.js';
import { clearErrors, field, h, replace, showErrors } from '../dom.js';

export async function signInPage(main, { message, onSignedIn }) {
  const loginId = h('input', { type: 'text', name: 'loginId', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit' }, 'Sign In');
  const form = h('form', { class: 'card narrow', novalidate: true },
    field({ id: 'login-id', label: 'Login ID', control: loginId, required: true }),
    field({ id: 'password', label: 'Password', control: password, required: true }),
    h('div', { class: 'actions' }, submit));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    submit.disabled = true;
    try {
      const state = await api('POST', '/session', { loginId: loginId.value, password: password.value });
      password.value = '';
      onSignedIn(state);
    } catch (error) {
      password.value = '';
      // Nothing is "saved" here: say what happened (code 5 is a wrong login id or password).
      const title = error.code === 5 ? 'Wrong login ID or password.' : 'You could not be signed in.';
      showErrors(form, error, { loginId: 'login-id', password: 'password' }, { title });
      if (error.status === 403 && /CSRF/.test(error.message)) {
        const state = await api('GET', '/session');
        setCsrfToken(state.csrfToken);
      }
    } finally {
      submit.disabled = false;
    }
  });

  replace(main, h('div', { class: 'page sign-in' },
    pageHeading('Sign in'),
    h('p', { class: 'lead' }, 'Authentication Admin is for Web Services Administrators of your company.'),
    message ? h('p', { class: 'notice', role: 'status' }, message) : null,
    form));
  document.getElementById('breadcrumb').replaceChildren();
}
