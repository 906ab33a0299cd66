/**
 * The emulator's HTTP surface (docs/emulator.md): `/emulator/v0/clock`, `/emulator/v0/faults`,
 * and the one hook that applies fault rules. Registered only in emulator mode, so without it
 * every `/emulator/*` path is an unknown path (404). Unauthenticated test tooling: emulator mode
 * must never face a network you do not control.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ConcurCodes, CorrelationHeader, Refusals, type ConcurCode } from 'tessera-protocol';
import type { Core, RequestMeta } from '../core/context.js';
import type { Emulator } from '../core/emulator/emulator.js';
import type { FaultRule, RequestFacts } from '../core/emulator/faults.js';
import { ConcurError } from '../core/errors.js';

const meta = (request: FastifyRequest): RequestMeta => ({ correlationId: request.id, ip: request.ip });
const noStore = { 'cache-control': 'no-store' };

export function registerEmulatorRoutes(app: FastifyInstance, core: Core, emulator: Emulator): void {
  app.get('/emulator/v0/clock', async (_request, reply) => reply.headers(noStore).send(emulator.clockView()));
  app.post('/emulator/v0/clock', async (request, reply) => reply.headers(noStore).send(await emulator.moveClock(request.body, meta(request))));
  app.get('/emulator/v0/faults', async (_request, reply) => reply.headers(noStore).send({ faults: emulator.faults.list() }));
  app.post('/emulator/v0/faults', async (request, reply) => reply.code(201).headers(noStore).send(emulator.addFault(request.body, meta(request))));
  app.delete('/emulator/v0/faults', async (request, reply) => {
    emulator.clearFaults(undefined, meta(request));
    return reply.code(204).headers(noStore).send();
  });
  app.delete<{ Params: { id: string } }>('/emulator/v0/faults/:id', async (request, reply) => {
    if (!emulator.clearFaults(request.params.id, meta(request))) throw new ConcurError(Refusals.notFound('fault rule'));
    return reply.code(204).headers(noStore).send();
  });
  installFaultHook(app, core, emulator);
}

/**
 * Applies the first fault rule that fires, after the body is parsed (rules match on its fields)
 * and before the route does anything: a delay then lets the route answer as usual; every other
 * effect answers instead of the route, so nothing changes in the store. The emulator's own routes
 * are never faulted (a rule must stay clearable).
 */
function installFaultHook(app: FastifyInstance, core: Core, emulator: Emulator): void {
  app.addHook('preHandler', async (request, reply) => {
    const path = request.url.split('?')[0]!;
    if (path.startsWith('/emulator/')) return;
    const rule = emulator.takeFault(requestFacts(request, path, core), meta(request));
    if (!rule) return;
    await applyFault(rule, request, reply);
  });
}

async function applyFault(rule: FaultRule, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const { effect } = rule;
  switch (effect.type) {
    case 'delay':
      await new Promise((resolve) => setTimeout(resolve, effect.ms));
      return;
    case 'concur-error': {
      const error = new ConcurError(effect.code as ConcurCode);
      await reply.code(error.status).headers({ ...noStore, ...error.headers }).send(error.toBody());
      return;
    }
    case 'http-status':
      await reply.code(effect.status).headers(noStore).send(new ConcurError(ConcurCodes.Internal).toBody());
      return;
    case 'drop':
      // No answer at all: the client sees its connection reset (a crash, a load balancer timing out).
      reply.hijack();
      request.raw.socket.destroy();
      return;
    case 'truncate': {
      // A 200 whose JSON stops half-way, the connection then closed cleanly: without a Content-Length
      // the client takes what came as the whole body, and parsing it fails.
      reply.hijack();
      const body = JSON.stringify(new ConcurError(ConcurCodes.Internal).toBody());
      request.raw.socket.end([
        'HTTP/1.1 200 OK', 'Content-Type: application/json; charset=utf-8', `${CorrelationHeader}: ${request.id}`,
        'Cache-Control: no-store', 'Connection: close', '', body.slice(0, Math.floor(body.length / 2)),
      ].join('\r\n'));
    }
  }
}

/** What a rule can match on, read from the request without trusting it (nothing here authenticates). */
function requestFacts(request: FastifyRequest, path: string, core: Core): RequestFacts {
  const body = request.body && typeof request.body === 'object' ? request.body as Record<string, unknown> : {};
  const field = (name: string) => (typeof body[name] === 'string' ? body[name] : undefined);
  const principals = [field('username'), field('channel_handle'), bearerSubject(request.headers.authorization)].filter((p): p is string => !!p);
  const geolocation = safeGeolocation(core);
  return {
    path,
    grantType: field('grant_type'),
    clientId: field('client_id') ?? basicClientId(request.headers.authorization),
    principals,
    datacenters: geolocation ? [geolocation, new URL(geolocation).host] : [],
  };
}

function safeGeolocation(core: Core): string | undefined {
  try {
    return core.geolocation();
  } catch {
    return undefined;
  }
}

function basicClientId(authorization: string | undefined): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]{1,4096})$/i.exec(authorization ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  try {
    return decodeURIComponent(decoded.slice(0, colon));
  } catch {
    return decoded.slice(0, colon);
  }
}

/** The `sub` of a Bearer JWT, read without verifying it: it only selects which request a rule hits. */
function bearerSubject(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+[\w-]+\.([\w-]{1,8192})\.[\w-]*$/i.exec(authorization ?? '');
  if (!match) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(match[1]!, 'base64url').toString('utf8')) as { sub?: unknown };
    return typeof payload.sub === 'string' ? payload.sub : undefined;
  } catch {
    return undefined;
  }
}
