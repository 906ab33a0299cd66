/**
 * pino JSON logs. Every line carries a `correlationId`: the request's own for request lines,
 * the node's for lines that belong to no request. Credentials are redacted by path; a request is
 * logged only as its summary (method, path without the query string, address), never its headers
 * or query (a misbehaving client may put secrets there).
 */
import { randomUUID } from 'node:crypto';
import { pino, type DestinationStream, type Logger } from 'pino';

/** What a log line says of a request: built once, passed through the `req` serializer as it is. */
export class RequestSummary {
  constructor(readonly method: string | undefined, readonly path: string | undefined, readonly remoteAddress: string | undefined) {}

  /** From a request, or from a summary's own shape (one made by another copy of this module keeps its fields). */
  static of(req: { method?: string; url?: string; ip?: string; path?: string; remoteAddress?: string }): RequestSummary {
    const url = req.url ?? req.path;
    const query = url?.indexOf('?') ?? -1;
    return new RequestSummary(req.method, query < 0 ? url : url!.slice(0, query), req.ip ?? req.remoteAddress);
  }
}

/** What a log line says of a reply: its status alone (a Fastify reply holds the whole raw request). */
export class ReplySummary {
  constructor(readonly statusCode: number | undefined) {}
}

export interface Loggers {
  /** Root logger without a correlation id; request loggers are its children. */
  root: Logger;
  /** Lines that belong to no request (start, stop, background work). */
  node: Logger;
}

let stdout: DestinationStream | undefined;

/**
 * Standard output, shared by every logger of the process: lines are gathered and written
 * synchronously in blocks of 4 KiB, or every 250 ms, and at exit. One write per line would be
 * two system calls per request with request logging on; an asynchronous stream hands each
 * write to a libuv thread instead, which on a busy core costs about as much again.
 */
function standardOutput(): DestinationStream {
  if (!stdout) {
    const stream = pino.destination({ dest: 1, sync: true, minLength: 4096, periodicFlush: 250 });
    process.once('exit', () => {
      try {
        stream.flushSync();
      } catch {
        // standard output is gone (a closed pipe): nothing more can be written
      }
    });
    stdout = stream;
  }
  return stdout;
}

export function createLoggers(level: string, destination?: DestinationStream): Loggers {
  const root = pino({
    level,
    base: { service: 'tessera' },
    // No `req.headers…` path: whatever is logged as `req` becomes a RequestSummary, which has no
    // headers, and a path under `req` would run the redaction on every request's line for nothing.
    redact: {
      paths: ['headers.authorization', 'client_secret', 'password', 'refresh_token', 'access_token', 'id_token'],
      censor: '[redacted]',
    },
    serializers: {
      req: (req: RequestSummary | Parameters<typeof RequestSummary.of>[0]) => (req instanceof RequestSummary ? req : RequestSummary.of(req)),
      // Without this, "request completed" would serialize the whole reply: the raw request with its headers and URL.
      res: (reply: ReplySummary | { statusCode?: number }) => (reply instanceof ReplySummary ? reply : new ReplySummary(reply.statusCode)),
      // An HTTP parse error carries the raw bytes received (`rawPacket`): headers, query and body, secrets included.
      err: (err: Error) => {
        const { rawPacket: _rawPacket, ...rest } = pino.stdSerializers.err(err) as ReturnType<typeof pino.stdSerializers.err> & { rawPacket?: unknown };
        return rest;
      },
    },
  }, destination ?? standardOutput());
  return { root, node: root.child({ correlationId: `node-${randomUUID()}` }) };
}
