/**
 * `POST /oauth2/v0/token` as a checklist of small steps (docs/protocol.md §2–3), free of HTTP types:
 * the HTTP layer hands over the parsed form and the Authorization header.
 */
import { ConcurCodes, describeErrorCode, isGrantType, type TokenResponse } from 'tessera-protocol';
import { authenticateClient } from './client-auth.js';
import type { Core, RequestMeta } from './context.js';
import { auditedAddress } from './audit.js';
import { ConcurError } from './errors.js';
import { BoundGrantContext, grantSettings } from './grants/bound-context.js';
import { clientCredentialsGrant } from './grants/client-credentials.js';
import type { Grant, GrantParams, GrantSettings } from './grants/grant.js';
import { otpGrant } from './grants/otp.js';
import { passwordGrant } from './grants/password.js';
import { refreshTokenGrant } from './grants/refresh-token.js';
import { authorizationCodeGrant } from './grants/authorization-code.js';
import { GrantRegistry } from './grants/registry.js';
import { failureKindOf, type Attempt } from './protection.js';
import type { App } from './model.js';

/** A registry of the built-in grants (password, incl. `credtype=authtoken`; refresh_token; client_credentials; authorization_code; otp), then `extra`. */
export function builtInGrants(extra: readonly Grant[] = []): GrantRegistry {
  const registry = new GrantRegistry().register(passwordGrant).register(refreshTokenGrant).register(clientCredentialsGrant)
    .register(authorizationCodeGrant).register(otpGrant);
  for (const grant of extra) registry.register(grant);
  return registry;
}

export interface TokenRequest {
  params: Record<string, string>;
  authorization: string | undefined;
  meta: RequestMeta;
}

export class TokenEndpoint {
  private readonly audited = new WeakSet<ConcurError>();
  private readonly grantSettings: GrantSettings;

  constructor(
    private readonly core: Core,
    readonly grants: GrantRegistry = builtInGrants(),
  ) {
    this.grantSettings = grantSettings(core.settings);
  }

  async handle(request: TokenRequest): Promise<TokenResponse> {
    const { params, meta } = request;
    let app: App | undefined;
    let attempt: Attempt | undefined;
    try {
      const grantType = params.grant_type;
      if (!grantType) throw new ConcurError(65);
      const grant = this.grants.get(grantType);
      attempt = {
        door: 'token', clientId: undefined, address: meta.ip, correlationId: meta.correlationId,
        loginId: grant?.loginIdOf?.(params), companyId: grant?.companyIdOf?.(params),
      };
      // The app is known before the secret is checked, so a wrong secret lands in that app's audit trail.
      const { client, secretId } = await authenticateClient(this.core, request, attempt, (found) => { app = found; }, grant?.publicClients === true);
      app = client.app;
      if (!grant) throw new ConcurError(60, { detail: 'unknown grant type' });
      if (!app.grants.includes(grantType)) throw new ConcurError(grant.notAllowedCode ?? 60);
      checkParameters(grant, params);
      const context = new BoundGrantContext(this.core, this.grantSettings, app, secretId, params, meta);
      const response = await grant.handle(context);
      const principal = context.issuedPrincipal;
      if (!principal || context.issuedResponse !== response) throw new Error(`grant ${grantType} answered a response its context did not issue`);
      this.noteUse(app);
      this.core.events.tokenIssued(grantType, params.credtype);
      this.core.audit.record({
        action: 'token.issued', outcome: 'success', correlationId: meta.correlationId, appId: app.id,
        companyId: principal.companyId, principalId: principal.id, actorType: principal.type, actorId: principal.id,
        detail: { grantType, credtype: auditedCredtype(params.credtype), scopes: response.scope, ip: meta.ip, connectionId: context.issuedConnectionId },
      });
      return response;
    } catch (error) {
      if (error instanceof ConcurError) {
        const failure = failureKindOf(error);
        if (failure && attempt) await this.core.protection.recordFailure(attempt, failure);
        this.recordRefusal(error, meta, params, app);
      }
      throw error;
    }
  }

  /**
   * Writes the `token.refused` audit event of a refusal, once. The HTTP layer calls it for
   * refusals that happen before `handle` (not a form, body too large, credentials in the query).
   */
  recordRefusal(error: ConcurError, meta: RequestMeta, params: Record<string, string> = {}, app?: App): void {
    if (this.audited.has(error)) return;
    this.audited.add(error);
    this.core.events.tokenRefused(params.grant_type, error.code);
    // A flood of 429s is not written row by row: the protection audits the moment a limit trips.
    if (error.code === ConcurCodes.RateLimited) return;
    const ip = auditedAddress(meta.ip);
    this.core.audit.recordFromAddress(ip, {
      action: 'token.refused', outcome: 'failure', correlationId: meta.correlationId, appId: app?.id ?? null,
      companyId: app?.companyId ?? null, code: error.code,
      // Only known values: whatever the caller typed (a secret in the wrong field) stays out.
      detail: {
        grantType: auditedGrantType(params.grant_type, this.grants), credtype: auditedCredtype(params.credtype), ip,
        reason: error.status >= 500 ? 'internal error' : error.detail ?? describeErrorCode(error.code)?.description ?? 'refused',
      },
    });
  }

  /** Last use, for the console and inactivity; written at most once a minute per app. */
  private noteUse(app: App): void {
    const now = this.core.clock.now();
    if (app.lastUsedAt !== null && now - app.lastUsedAt < 60_000) return;
    app.lastUsedAt = now;
    this.core.store.apps.touchLastUsed(app.id, now).catch((err: unknown) => this.core.log.warn({ err }, 'could not record app use'));
  }
}

/** The grant's declared parameters, in order: a missing required one or a value outside its list answers the declared code. */
function checkParameters(grant: Grant, params: GrantParams): void {
  const declared = grant.parameters;
  if (!declared) return;
  for (const parameter of declared) {
    const value = params[parameter.name];
    if (value === undefined || value === '') {
      if (parameter.required) throw new ConcurError(parameter.missingCode!);
      if (value === undefined) continue;
    }
    if (parameter.values && !parameter.values.includes(value)) throw new ConcurError(parameter.invalidCode!);
  }
}

/** A grant type as the audit trail keeps it: one of the protocol's or registered here, `"other"`, or absent. */
export function auditedGrantType(value: string | undefined, registered?: GrantRegistry): string | undefined {
  if (value === undefined || value === '') return undefined;
  return isGrantType(value) || registered?.get(value) ? value : 'other';
}

/** A credtype as the audit trail keeps it: `password`, `authtoken`, `"other"`, or absent. */
export function auditedCredtype(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  return value === 'password' || value === 'authtoken' ? value : 'other';
}
