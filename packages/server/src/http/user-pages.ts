/**
 * The server-rendered pages users see (docs/protocol.md §4): sign-in, consent, errors and "My
 * connected apps". Plain HTML forms that work without JavaScript, in the admin console's style
 * sheet; every value is escaped. The routes send them with `userPageHeaders`: a strict CSP with no
 * script at all, and framing refused (`frame-ancestors 'none'`, X-Frame-Options DENY).
 */
import { describeScope } from 'tessera-protocol';
import type { ConnectedApp } from '../core/consents.js';

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Text for HTML content and attribute values. */
export const esc = (value: string): string => value.replace(/[&<>"']/g, (c) => escapes[c]!);

/**
 * The headers of every user page. `formTargets` are the origins a form may end up at: a form's
 * POST answered with a redirect to the app's `redirect_uri` is checked against `form-action` too.
 */
export function userPageHeaders(formTargets: readonly string[] = []): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': `default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'${formTargets.map((t) => ` ${t}`).join('')}; `
      + "frame-ancestors 'none'; base-uri 'none'",
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cache-control': 'no-store',
    pragma: 'no-cache',
  };
}

/** The CSP source of a redirect URI: its origin (http, https), or its scheme for a native app's private-use scheme. */
export function formTargetOf(redirectUri: string): string | undefined {
  try {
    const url = new URL(redirectUri);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
    return /^[a-z][a-z0-9+.-]*:$/i.test(url.protocol) ? url.protocol : undefined;
  } catch {
    return undefined;
  }
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${esc(title)} · Tessera</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/admin/assets/console.css">
</head>
<body>
  <a class="skip-link" href="#main">Skip to content</a>
  <header class="topbar"><span class="brand">Tessera</span></header>
  <main id="main" tabindex="-1">
    <div class="page">
${body}
    </div>
  </main>
</body>
</html>
`;
}

const hidden = (name: string, value: string) => `<input type="hidden" name="${esc(name)}" value="${esc(value)}">`;

const errorSummary = (message: string | undefined) => (message
  ? `<div class="error-summary" role="alert" id="form-error"><h2>${esc(message)}</h2></div>`
  : '');

export interface SignInPage {
  action: string;
  /** Hidden fields (the sealed request, the CSRF token). */
  fields: Record<string, string>;
  /** Whom the user signs in for. */
  appName?: string;
  companyName?: string;
  loginId?: string;
  error?: string;
}

/** The sign-in page: labels "Login ID" and "Password", button "Sign in". */
export function signInPage(page: SignInPage): string {
  const intro = page.appName
    ? `<p class="lead">Sign in to connect <strong>${esc(page.appName)}</strong>${page.companyName ? ` by ${esc(page.companyName)}` : ''} to your account.</p>`
    : '<p class="lead">Sign in to see the apps connected to your account.</p>';
  const invalid = page.error ? ' aria-invalid="true" aria-describedby="form-error"' : '';
  return layout('Sign in', `      <h1>Sign in</h1>
      ${intro}
      <form class="card narrow" method="post" action="${esc(page.action)}">
        ${errorSummary(page.error)}
        ${Object.entries(page.fields).map(([name, value]) => hidden(name, value)).join('\n        ')}
        <div class="field">
          <label for="login-id">Login ID</label>
          <input type="text" id="login-id" name="login_id" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="254" value="${esc(page.loginId ?? '')}"${invalid} autofocus>
        </div>
        <div class="field">
          <label for="password">Password</label>
          <input type="password" id="password" name="password" autocomplete="current-password" required maxlength="1024"${invalid}>
        </div>
        <div class="actions"><button type="submit">Sign in</button></div>
      </form>`);
}

export interface ConsentPage {
  action: string;
  fields: Record<string, string>;
  appName: string;
  appDescription: string;
  companyName: string;
  userName: string;
  scopes: readonly string[];
}

/** The consent page: the app, its company, every scope in words; buttons "Allow" and "Deny". */
export function consentPage(page: ConsentPage): string {
  const scopes = page.scopes.length === 0
    ? '<li>No access beyond knowing you connected it.</li>'
    : page.scopes.map((scope) => `<li>${esc(describeScope(scope))} <span class="muted small mono">${esc(scope)}</span></li>`).join('\n          ');
  return layout('Allow access?', `      <h1>Allow ${esc(page.appName)} to access your account?</h1>
      <p class="lead">${esc(page.appName)} is an app of <strong>${esc(page.companyName)}</strong>. You are signed in as ${esc(page.userName)}.</p>
      <form class="card narrow" method="post" action="${esc(page.action)}">
        ${Object.entries(page.fields).map(([name, value]) => hidden(name, value)).join('\n        ')}
        ${page.appDescription ? `<p>${esc(page.appDescription)}</p>` : ''}
        <h2 id="scopes-heading">It asks to</h2>
        <ul aria-labelledby="scopes-heading">
          ${scopes}
        </ul>
        <p class="muted small">You can withdraw this at any time on “My connected apps” (<a href="/account/connected-apps">/account/connected-apps</a>).</p>
        <div class="actions">
          <button type="submit" name="decision" value="allow">Allow</button>
          <button type="submit" name="decision" value="deny" class="secondary">Deny</button>
        </div>
      </form>`);
}

/** An error page: shown instead of redirecting when the app or its redirect URI cannot be trusted. */
export function errorPage(title: string, message: string): string {
  return layout(title, `      <h1>${esc(title)}</h1>
      <p class="error" role="alert">${esc(message)}</p>
      <p class="muted">Go back to the app and try again, or contact its publisher.</p>`);
}

export interface ConnectedAppsPage {
  userName: string;
  apps: readonly ConnectedApp[];
  csrfToken: string;
  notice?: string;
}

/** "My connected apps": every consent with its scopes, and a Withdraw button per app. */
export function connectedAppsPage(page: ConnectedAppsPage): string {
  const rows = page.apps.map((app) => `          <li class="tile">
            <h2>${esc(app.appName)}</h2>
            <p>By ${esc(app.companyName)} · allowed ${esc(new Date(app.consentedAt).toISOString().slice(0, 10))}</p>
            <ul>${app.scopes.map((scope) => `<li>${esc(describeScope(scope))} <span class="muted small mono">${esc(scope)}</span></li>`).join('')}</ul>
            <form method="post" action="/account/connected-apps/withdraw">
              ${hidden('csrf_token', page.csrfToken)}
              ${hidden('app_id', app.appId)}
              <button type="submit" class="danger" aria-label="Withdraw ${esc(app.appName)}">Withdraw</button>
            </form>
          </li>`).join('\n');
  return layout('My connected apps', `      <h1>My connected apps</h1>
      <p class="lead">Signed in as ${esc(page.userName)}. Withdrawing an app ends its access at once: its tokens stop working.</p>
      ${page.notice ? `<p class="notice" role="status">${esc(page.notice)}</p>` : ''}
      ${page.apps.length === 0 ? '<p class="muted">No app is connected to your account.</p>' : `<ul class="tiles">\n${rows}\n      </ul>`}
      <form method="post" action="/account/sign-out">
        ${hidden('csrf_token', page.csrfToken)}
        <button type="submit" class="secondary">Sign out</button>
      </form>`);
}
