/**
 * The admin API under `/admin/api`: everything the console does, as JSON, documented in
 * `GET /admin/api/openapi.json`. Thin: parse → call core/admin → write. Errors are Concur bodies
 * `{code, error, error_description}` (plus `fields` for invalid input).
 */
import { homeDatacenterView, setHomeDatacenterFor } from '../core/companies.js';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GrantTypes, Refusals, ScopeCatalog } from 'tessera-protocol';
import * as admin from '../core/admin.js';
import * as appCenter from '../core/app-center.js';
import type { Core } from '../core/context.js';
import { ConcurError } from '../core/errors.js';
import { listOutboxFor } from '../core/outbox.js';
import {
  CredentialsSchema, csrfMatches, csrfTokenFor, endAdminSession, issueAdminToken, resumeSession, signIn, signInCsrfTokenFor, signOut,
  type AdminIdentity,
} from '../core/sessions.js';
import { parseInput } from '../core/validation.js';
import {
  authenticateAdminRequest, clearCookie, cookieOf, CsrfHeader, SessionCookie, setSessionCookie, SignInCookie,
} from './admin-auth.js';
import { adminOpenApi } from './admin-openapi.js';
import { jsonBody } from './json.js';

export const AdminApiPrefix = '/admin/api';

type Params = { appId: string; secretId: string; connectionId: string; userId: string };

function sessionView(core: Core, identity: AdminIdentity, csrfToken: string, expiresAt: number) {
  return {
    signedIn: true as const,
    user: { id: identity.user.id, loginId: identity.user.loginId, displayName: identity.user.displayName },
    company: { id: identity.company.id, name: identity.company.name },
    csrfToken,
    idleTimeoutSeconds: core.settings.sessionIdleSeconds,
    expiresAt: new Date(expiresAt).toISOString(),
  };
}

export function registerAdminApiRoutes(app: FastifyInstance, core: Core): void {
  void app.register(async (api) => {
    api.addHook('onSend', async (_request, reply, payload) => {
      void reply.header('cache-control', 'no-store');
      return payload;
    });

    /** Wraps a handler that needs an administrator. */
    const authed = <P extends Partial<Params> = Partial<Params>>(
      handler: (ctx: admin.AdminContext, request: FastifyRequest<{ Params: P }>, reply: FastifyReply) => Promise<unknown>,
    ) => async (request: FastifyRequest<{ Params: P }>, reply: FastifyReply) => {
      const identity = await authenticateAdminRequest(core, request);
      return handler(admin.administratorContext(identity, request.id), request, reply);
    };

    api.get('/openapi.json', async (_request, reply) => reply.header('cache-control', 'no-cache').send(adminOpenApi(core)));

    // ——— Session (console sign-in, with login-CSRF protection) and tokens (CLI) ———

    api.get('/session', async (request, reply) => {
      const sessionId = cookieOf(request, SessionCookie);
      const resumed = sessionId ? await resumeSession(core, sessionId) : undefined;
      if (sessionId && resumed) return sessionView(core, resumed.identity, csrfTokenFor(core, sessionId), resumed.session.expiresAt);
      let nonce = cookieOf(request, SignInCookie);
      if (!nonce || !/^[A-Za-z0-9_-]{32,64}$/.test(nonce)) {
        nonce = randomBytes(32).toString('base64url');
        setSessionCookie(request, reply, SignInCookie, nonce, 3600);
      }
      if (sessionId) clearCookie(request, reply, SessionCookie);
      return { signedIn: false, csrfToken: signInCsrfTokenFor(core, nonce) };
    });

    api.post('/session', async (request, reply) => {
      const nonce = cookieOf(request, SignInCookie);
      const presented = request.headers[CsrfHeader];
      if (!nonce || !csrfMatches(signInCsrfTokenFor(core, nonce), typeof presented === 'string' ? presented : undefined)) {
        throw new ConcurError(Refusals.csrfTokenRejected);
      }
      const { loginId, password } = parseInput(CredentialsSchema, jsonBody(request));
      const signedIn = await signIn(core, loginId, password, { correlationId: request.id, ip: request.ip });
      const previous = cookieOf(request, SessionCookie);
      if (previous) await signOut(core, previous);
      setSessionCookie(request, reply, SessionCookie, signedIn.sessionId);
      clearCookie(request, reply, SignInCookie);
      return sessionView(core, signedIn.identity, signedIn.csrfToken, signedIn.session.expiresAt);
    });

    // Ends the session the request came in with: the console's, or the one an admin token is bound to.
    api.delete('/session', async (request, reply) => {
      const identity = await authenticateAdminRequest(core, request);
      await endAdminSession(core, identity, request.id);
      if (identity.via === 'session') clearCookie(request, reply, SessionCookie);
      return reply.code(204).send();
    });

    api.post('/token', async (request) => {
      const { loginId, password } = parseInput(CredentialsSchema, jsonBody(request));
      const issued = await issueAdminToken(core, loginId, password, { correlationId: request.id, ip: request.ip });
      return {
        accessToken: issued.accessToken, tokenType: 'Bearer', expiresIn: core.settings.accessTokenTtl,
        expiresAt: new Date(issued.expiresAt).toISOString(), loginId: issued.identity.user.loginId,
        companyUUID: issued.identity.company.id, companyName: issued.identity.company.name,
      };
    });

    api.get('/catalog', authed(async () => ({ grants: GrantTypes, scopeGroups: ScopeCatalog })));

    // ——— OAuth 2.0 Application Management ———

    api.get('/apps', authed(async (ctx, request) => admin.listApps(core, ctx, request.query)));
    api.post('/apps', authed(async (ctx, request, reply) => reply.code(201).send(await admin.createAppFor(core, ctx, jsonBody(request)))));
    api.get('/apps/:appId', authed<{ appId: string }>(async (ctx, request) => admin.appDetails(core, ctx, request.params.appId)));
    api.patch('/apps/:appId', authed<{ appId: string }>(async (ctx, request) =>
      admin.updateAppFor(core, ctx, request.params.appId, jsonBody(request))));

    api.get('/apps/:appId/secrets', authed<{ appId: string }>(async (ctx, request) =>
      admin.listSecretsFor(core, ctx, request.params.appId)));
    api.post('/apps/:appId/secrets', authed<{ appId: string }>(async (ctx, request, reply) =>
      reply.code(201).send(await admin.createSecretFor(core, ctx, request.params.appId))));
    api.patch('/apps/:appId/secrets/:secretId', authed<{ appId: string; secretId: string }>(async (ctx, request) =>
      admin.changeSecretFor(core, ctx, request.params.appId, request.params.secretId, jsonBody(request))));
    api.delete('/apps/:appId/secrets/:secretId', authed<{ appId: string; secretId: string }>(async (ctx, request, reply) => {
      await admin.deleteSecretFor(core, ctx, request.params.appId, request.params.secretId);
      return reply.code(204).send();
    }));

    api.get('/apps/:appId/connections', authed<{ appId: string }>(async (ctx, request) =>
      admin.listConnectionsFor(core, ctx, request.params.appId, request.query)));
    api.delete('/apps/:appId/connections/:connectionId', authed<{ appId: string; connectionId: string }>(async (ctx, request, reply) => {
      await admin.revokeConnectionFor(core, ctx, request.params.appId, request.params.connectionId);
      return reply.code(204).send();
    }));

    // ——— Company Request Token ———

    api.post('/request-tokens', authed(async (ctx, request, reply) => {
      const issued = await admin.generateRequestTokenFor(core, ctx, jsonBody(request));
      return reply.code(201).send({ ...issued, ...admin.conversionCommand(core, issued) });
    }));

    // ——— App Center (docs/protocol.md §12 "App Center") ———

    api.get('/app-center', authed(async (ctx, request) => appCenter.listAppCenterFor(core, ctx, request.query)));
    api.post('/app-center/:appId/connect', authed<{ appId: string }>(async (ctx, request) =>
      appCenter.connectAppFor(core, ctx, request.params.appId, jsonBody(request))));
    api.delete('/app-center/:appId/connection', authed<{ appId: string }>(async (ctx, request) =>
      appCenter.disconnectAppFor(core, ctx, request.params.appId)));

    // ——— Users and audit log ———

    // The company's home datacenter (docs/protocol.md §10).
    api.get('/company', authed(async (ctx) => homeDatacenterView(core, (await core.store.companies.get(ctx.company.id))!)));
    api.patch('/company', authed(async (ctx, request) => setHomeDatacenterFor(core, ctx.actor, ctx.company.id, jsonBody(request))));
    api.get('/users', authed(async (ctx, request) => ({ items: await admin.listUsersFor(core, ctx, request.query) })));
    api.post('/users', authed(async (ctx, request, reply) => reply.code(201).send(await admin.createUserFor(core, ctx, jsonBody(request)))));
    api.patch('/users/:userId', authed<{ userId: string }>(async (ctx, request) =>
      admin.changeUserFor(core, ctx, request.params.userId, jsonBody(request))));
    api.post('/users/:userId/unlock', authed<{ userId: string }>(async (ctx, request) =>
      admin.unlockUserFor(core, ctx, request.params.userId)));
    api.post('/users/:userId/password', authed<{ userId: string }>(async (ctx, request) =>
      admin.resetUserPasswordFor(core, ctx, request.params.userId, jsonBody(request))));

    api.get('/audit', authed(async (ctx, request) => admin.queryAuditFor(core, ctx, request.query)));

    // ——— Outbox (mail kept when no SMTP server is configured) ———

    api.get('/outbox', authed(async (ctx) => listOutboxFor(core, ctx)));
  }, { prefix: AdminApiPrefix });
}
