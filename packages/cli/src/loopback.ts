/**
 * The native-app half of the code flow (RFC 8252): a one-shot HTTP listener on the loopback
 * interface that receives the browser's redirect, and a best-effort browser opener.
 *
 * Only 127.0.0.1 is bound (RFC 8252 §8.3: never a public interface, and an IP literal rather than
 * `localhost`, §7.3). The listener answers one redirect path; everything else is a 404.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { CommandError } from './output.js';
import { ExitCode } from './exit-codes.js';

export interface Redirect {
  /** The query of the redirect (`code`, `state`, `geolocation`, or `error_code`). */
  query: URLSearchParams;
  /** Answers the browser with a small HTML page (once). */
  respond(status: number, title: string, text: string): void;
}

export interface RedirectListener {
  /** `http://127.0.0.1:PORT/callback`: register exactly this on the app. */
  redirectUri: string;
  /** The next redirect to the callback path; rejects after the timeout. */
  next(timeoutMs: number): Promise<Redirect>;
  close(): Promise<void>;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(response: ServerResponse, status: number, title: string, text: string): void {
  response.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    // The page's URL holds the code: no referrer to anywhere, nothing loaded from anywhere.
    'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  });
  response.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>`
    + '<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1d2530}</style></head>'
    + `<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>\n`);
}

/** Listens on 127.0.0.1:`port` (0: any free port) for redirects to `path`. */
export async function listenForRedirect(port: number, path = '/callback'): Promise<RedirectListener> {
  const waiting: ((redirect: Redirect) => void)[] = [];
  const queued: Redirect[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (request.method !== 'GET' || url.pathname !== path) {
      page(response, 404, 'Not found', 'This address only receives the sign-in redirect of `tessera token login`.');
      return;
    }
    let answered = false;
    const redirect: Redirect = {
      query: url.searchParams,
      respond(status, title, text) {
        if (answered) return;
        answered = true;
        page(response, status, title, text);
      },
    };
    const waiter = waiting.shift();
    if (waiter) waiter(redirect);
    else queued.push(redirect);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE'
      ? new CommandError(`port ${port} on 127.0.0.1 is in use: pass another --port (and register that redirect URI), or end what uses it`, ExitCode.Usage)
      : error));
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    redirectUri: `http://127.0.0.1:${actualPort}${path}`,
    next(timeoutMs) {
      const ready = queued.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise<Redirect>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(onRedirect), 1);
          reject(new CommandError(`no sign-in came back within ${Math.round(timeoutMs / 1000)} s: run the command again (or pass a longer --timeout)`, ExitCode.Failure));
        }, timeoutMs);
        const onRedirect = (redirect: Redirect) => {
          clearTimeout(timer);
          resolve(redirect);
        };
        waiting.push(onRedirect);
      });
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/**
 * Opens `url` in the desktop's browser when there is one (`open` on macOS, `xdg-open` with a
 * display on Linux); never fails, never waits: the URL is printed anyway.
 */
export function openBrowser(url: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const command = process.platform === 'darwin' ? 'open'
    : process.platform === 'win32' ? undefined
      : env.DISPLAY || env.WAYLAND_DISPLAY ? 'xdg-open' : undefined;
  if (!command) return false;
  try {
    const child = spawn(command, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
    return true;
  } catch {
    return false;
  }
}
