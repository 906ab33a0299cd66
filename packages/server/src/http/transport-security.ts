/**
 * HTTP Strict Transport Security (RFC 6797) when the server itself serves HTTPS: browsers and
 * clients that honour it never fall back to plain HTTP for this host. Not sent over plain HTTP,
 * where it means nothing (RFC 6797 §7.2); behind a TLS-terminating proxy the proxy sends it.
 */
import type { FastifyInstance } from 'fastify';

/** One year, without includeSubDomains: the header speaks for this host only. */
export const hstsHeaders: Readonly<Record<string, string>> = Object.freeze({ 'strict-transport-security': 'max-age=31536000' });

/** Adds the HSTS header to every answer of `app` (errors and 404s included). */
export function installHsts(app: FastifyInstance): void {
  app.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(hstsHeaders);
    done();
  });
}
