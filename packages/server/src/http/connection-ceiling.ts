/**
 * Time and count limits of the sockets themselves (docs/architecture.md "Lessons from outside verification": every
 * socket and request has a time limit): without them a client that opens connections, sends
 * headers and stalls holds a file descriptor each until the process has none left.
 */
import type { Server } from 'node:http';
import { isIPv4, isIPv6, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Settings } from '../config.js';

export type SocketLimitSettings = Pick<Settings,
  'headersTimeoutSeconds' | 'requestTimeoutSeconds' | 'keepAliveTimeoutSeconds' | 'socketIdleTimeoutSeconds'>;

/**
 * The Node server options behind the time limits: headers, the whole request (body included),
 * the idle time between kept-alive requests, and how often Node checks the first two (it only
 * notices an expired request at such a check).
 */
export function socketTimeouts(settings: SocketLimitSettings) {
  const headersTimeout = settings.headersTimeoutSeconds * 1000;
  const requestTimeout = settings.requestTimeoutSeconds * 1000;
  return {
    /** For `http.createServer` / `https.createServer`. */
    serverOptions: { headersTimeout, requestTimeout, connectionsCheckingInterval: Math.min(1000, Math.ceil(headersTimeout / 4)) },
    /** For Fastify, which sets these on the server it creates. */
    fastifyOptions: {
      requestTimeout,
      keepAliveTimeout: settings.keepAliveTimeoutSeconds * 1000,
      connectionTimeout: settings.socketIdleTimeoutSeconds * 1000,
    },
  };
}

/**
 * What the ceiling counts a remote address under: an IPv4 address as it is (an IPv4-mapped IPv6
 * one as its IPv4), an IPv6 address by its /64 prefix: one subscriber or host usually holds a
 * whole /64, and counting exact addresses would let it open `max` connections from each of
 * 2^64 addresses.
 */
export function connectionKey(address: string): string {
  if (isIPv4(address)) return address;
  const bare = address.split('%')[0]!;
  if (!isIPv6(bare)) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped) return mapped[1]!;
  return `${expandIPv6(bare).slice(0, 4).join(':')}::/64`;
}

/** The eight groups of a valid IPv6 address, as lowercase hex without leading zeros. */
function expandIPv6(address: string): string[] {
  let text = address;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return groups.map((group) => parseInt(group, 16).toString(16));
}

/**
 * Closes a new connection at once when its remote address (an IPv6 one by its /64, see
 * `connectionKey`) already has `max` open (0: no ceiling). Counted on the raw TCP socket, before TLS or HTTP parsing, so a refused one costs
 * next to nothing. Behind a proxy the remote address is the proxy's: the ceiling then counts
 * every client together, so raise it or set 0 there.
 */
export function installConnectionCeiling(server: Server, max: number, log: Logger): void {
  if (max <= 0) return;
  const open = new Map<string, number>();
  let lastWarning = 0;
  server.on('connection', (socket: Socket) => {
    const address = connectionKey(socket.remoteAddress ?? 'unknown');
    const count = open.get(address) ?? 0;
    if (count >= max) {
      socket.destroy();
      const now = Date.now();
      if (now - lastWarning >= 60_000) {
        lastWarning = now;
        log.warn({ address, max }, 'connection ceiling of one address reached: further connections from it are closed');
      }
      return;
    }
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
}
