/** Reading the `Cookie` header and writing `Set-Cookie` (RFC 6265), just what the admin console needs. */

/** The cookies of a request, by name (the first of a repeated name wins). */
export function readCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (!cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}

export interface CookieOptions {
  path: string;
  secure: boolean;
  /** Seconds; absent for a cookie that lives as long as the browser session. */
  maxAge?: number;
  /**
   * Strict unless said otherwise. Lax only for the user session of `/authorize`, which must be
   * sent when another site sends the browser there (a top-level GET).
   */
  sameSite?: 'Strict' | 'Lax';
}

/** A `Set-Cookie` value: always HttpOnly; SameSite=Strict unless `sameSite` says Lax. */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  const parts = [`${name}=${value}`, `Path=${options.path}`, 'HttpOnly', `SameSite=${options.sameSite ?? 'Strict'}`];
  if (options.secure) parts.push('Secure');
  if (options.maxAge !== undefined) parts.push(`Max-Age=${options.maxAge}`);
  return parts.join('; ');
}

/** A `Set-Cookie` value that removes the cookie. */
export const expiredCookie = (name: string, options: Omit<CookieOptions, 'maxAge'>): string =>
  serializeCookie(name, '', { ...options, maxAge: 0 });
