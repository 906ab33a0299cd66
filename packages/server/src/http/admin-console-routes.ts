/**
 * Serves the admin console: plain HTML, CSS and ES modules from the package's `console/` folder,
 * read once at start, with ETags and a strict Content-Security-Policy. Only files that exist at
 * start are served (no path from a request ever reaches the file system).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Refusals } from 'tessera-protocol';
import { ConcurError } from '../core/errors.js';

/** The console's folder: `packages/server/console`, beside `src/` and `dist/`. */
export const consoleDir = fileURLToPath(new URL('../../console/', import.meta.url));

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

const securityHeaders = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      const file = join(folder, name);
      if (statSync(file).isDirectory()) walk(file);
      else {
        const type = contentTypes[extname(name)];
        if (!type) continue;
        const body = readFileSync(file);
        const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
        assets.set(relative(dir, file).split(sep).join('/'), { body, type, etag });
      }
    }
  };
  walk(dir);
  return assets;
}

function send(request: FastifyRequest, reply: FastifyReply, asset: Asset) {
  void reply.headers({ ...securityHeaders, etag: asset.etag, 'cache-control': 'no-cache' });
  if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
  return reply.type(asset.type).send(asset.body);
}

/** `GET /admin` (the console page) and `GET /admin/assets/*` (its scripts and styles). */
export function registerAdminConsoleRoutes(app: FastifyInstance, dir: string = consoleDir): void {
  const assets = loadAssets(dir);
  const index = assets.get('index.html');
  if (!index) throw new Error(`the admin console is missing: no index.html in ${dir}`);

  app.get('/admin', async (request, reply) => send(request, reply, index)); // and `/admin/` (the server ignores a trailing slash)
  app.get<{ Params: { '*': string } }>('/admin/assets/*', async (request, reply) => {
    const asset = assets.get(`assets/${request.params['*']}`);
    if (!asset) throw new ConcurError(Refusals.noConsoleFile);
    return send(request, reply, asset);
  });
}
