/**
 * Fixtures for the admin console and admin API tests: administrators of two companies, and a
 * small HTTP client that signs in like the console (cookies + CSRF header) or uses a Bearer token.
 */
import { createApp, createCompany, createUser, WebServicesAdministrator } from 'tessera-server';
import { defaultScopes, type TestServer } from './helpers.js';

export const adminPassword = 'correct horse battery';

export interface Tenant {
  companyId: string;
  companyName: string;
  adminLoginId: string;
  adminId: string;
  app: { clientId: string; clientSecret: string };
}

/** Creates a Web Services Administrator in `companyId`. */
export async function makeAdmin(t: TestServer, loginId: string, companyId = t.companyId, password = adminPassword) {
  return createUser(t.server.core, { companyId, loginId, password, roles: [WebServicesAdministrator], displayName: `Admin ${loginId}` });
}

/** A company with its administrator and one app: "the other tenant" of the isolation tests. */
export async function makeTenant(t: TestServer, name: string, loginId: string, existingCompanyId?: string): Promise<Tenant> {
  const company = existingCompanyId
    ? (await t.server.core.store.companies.get(existingCompanyId))!
    : await createCompany(t.server.core, { name });
  const admin = await makeAdmin(t, loginId, company.id);
  const { app, clientSecret } = await createApp(t.server.core, company.id, {
    name: `${name} App`, description: `the app of ${name}`, grants: ['password', 'refresh_token', 'client_credentials'], scopes: defaultScopes,
  });
  return { companyId: company.id, companyName: company.name, adminLoginId: loginId, adminId: admin.id, app: { clientId: app.id, clientSecret } };
}

export interface ApiAnswer<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** Talks to the admin API like the console does: a cookie jar and the CSRF header. */
export class AdminClient {
  private readonly cookies = new Map<string, string>();
  csrfToken: string | undefined;
  bearer: string | undefined;

  constructor(readonly baseUrl: string) {}

  /** Signs in with the console flow (GET session → POST session); answers the POST's answer. */
  async signIn(loginId: string, password = adminPassword): Promise<ApiAnswer> {
    const state = await this.request('GET', '/admin/api/session');
    this.csrfToken = state.body.csrfToken;
    const answer = await this.request('POST', '/admin/api/session', { loginId, password });
    if (answer.status === 200) this.csrfToken = answer.body.csrfToken;
    return answer;
  }

  /** Gets a Bearer token from POST /admin/api/token and uses it from now on. */
  async useBearer(loginId: string, password = adminPassword): Promise<ApiAnswer> {
    const answer = await this.request('POST', '/admin/api/token', { loginId, password });
    if (answer.status === 200) this.bearer = answer.body.accessToken;
    return answer;
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  setCookie(name: string, value: string): void {
    this.cookies.set(name, value);
  }

  /** Any request; JSON bodies; the CSRF header on every unsafe method unless `csrf: false`. */
  async request<T = any>(method: string, path: string, body?: unknown, options: { csrf?: boolean | string; headers?: Record<string, string>; raw?: string } = {}): Promise<ApiAnswer<T>> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (this.bearer) headers.authorization = `Bearer ${this.bearer}`;
    const csrf = typeof options.csrf === 'string' ? options.csrf : options.csrf === false ? undefined : this.csrfToken;
    if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
    if (body !== undefined || options.raw !== undefined) headers['content-type'] ??= 'application/json';
    const response = await fetch(`${this.baseUrl}${path}`, {
      method, headers, body: options.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const [name, ...rest] = pair!.split('=');
      const value = rest.join('=');
      if (attributes.some((a) => /max-age=0/i.test(a.trim())) || value === '') this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), value);
    }
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: response.status, headers: response.headers, body: parsed as T };
  }

  get = <T = any>(path: string) => this.request<T>('GET', `/admin/api${path}`);
  post = <T = any>(path: string, body?: unknown) => this.request<T>('POST', `/admin/api${path}`, body);
  patch = <T = any>(path: string, body?: unknown) => this.request<T>('PATCH', `/admin/api${path}`, body);
  delete = <T = any>(path: string) => this.request<T>('DELETE', `/admin/api${path}`);
}

/** Asserts the Concur error format; answers the body. */
export function expectConcurError(answer: ApiAnswer, status: number): { code: number; error: string; error_description: string; fields?: { field: string; message: string }[] } {
  if (answer.status !== status) throw new Error(`expected ${status}, got ${answer.status}: ${JSON.stringify(answer.body)}`);
  const body = answer.body as Record<string, unknown>;
  if (typeof body?.code !== 'number' || typeof body.error !== 'string' || typeof body.error_description !== 'string') {
    throw new Error(`not a Concur error body: ${JSON.stringify(body)}`);
  }
  return body as never;
}
