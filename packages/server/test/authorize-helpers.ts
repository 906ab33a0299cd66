/**
 * A small browser for the `/authorize` pages over real HTTP: a cookie jar that honours paths,
 * redirects followed by hand (so a test sees where it would go), and the pages' hidden fields.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface PageAnswer {
  status: number;
  headers: Headers;
  text: string;
  location: string | undefined;
}

interface StoredCookie {
  name: string;
  value: string;
  path: string;
}

export class PageBrowser {
  private cookies: StoredCookie[] = [];

  constructor(readonly baseUrl: string) {}

  /** The cookie values of `name`, one per path. */
  cookie(name: string): StoredCookie[] {
    return this.cookies.filter((c) => c.name === name);
  }

  setCookie(name: string, value: string, path: string): void {
    this.cookies = this.cookies.filter((c) => !(c.name === name && c.path === path));
    this.cookies.push({ name, value, path });
  }

  dropCookies(name?: string): void {
    this.cookies = name ? this.cookies.filter((c) => c.name !== name) : [];
  }

  async request(method: 'GET' | 'POST', path: string, form?: Record<string, string>, headers: Record<string, string> = {}): Promise<PageAnswer> {
    const url = new URL(path, this.baseUrl);
    const sent = this.cookies.filter((c) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`));
    const allHeaders: Record<string, string> = { ...headers };
    if (sent.length) allHeaders.cookie = sent.map((c) => `${c.name}=${c.value}`).join('; ');
    if (form) allHeaders['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(url, {
      method, headers: allHeaders, redirect: 'manual', ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((s) => s.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      const cookiePath = attributes.find((a) => /^path=/i.test(a))?.slice(5) ?? '/';
      this.cookies = this.cookies.filter((c) => !(c.name === name && c.path === cookiePath));
      if (value !== '' && !attributes.some((a) => /^max-age=0$/i.test(a))) this.cookies.push({ name, value, path: cookiePath });
    }
    return { status: response.status, headers: response.headers, text: await response.text(), location: response.headers.get('location') ?? undefined };
  }

  get = (path: string) => this.request('GET', path);
  post = (path: string, form: Record<string, string>) => this.request('POST', path, form);
}

/** The hidden fields of the (first) form of a page, by name. */
export function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[match[1]!] ??= match[2]!.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
  }
  return fields;
}

/** A form's action. */
export const formAction = (html: string): string | undefined => html.match(/<form[^>]* action="([^"]+)"/)?.[1];

/** A PKCE pair (RFC 7636): a verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The query parameters of a redirect location. */
export const paramsOf = (location: string | undefined): Record<string, string> =>
  Object.fromEntries(new URL(location ?? 'http://invalid/').searchParams);
