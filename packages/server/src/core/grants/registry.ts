/**
 * Grants are handlers in a registry (DESIGN.md "Seams"). A handler gets the authenticated
 * app, the form parameters and the bound core, and answers the token response together with
 * the principal it was issued for (for the audit trail).
 */
import type { ConcurCode, TokenResponse } from 'tessera-protocol';
import { KnownScopes, parseScopeParameter } from 'tessera-protocol';
import type { Core, RequestMeta } from '../context.js';
import { ConcurError } from '../errors.js';
import type { Principal } from '../tokens.js';
import type { App } from '../../storage/types.js';

export interface GrantRequest {
  core: Core;
  app: App;
  /** The id of the client secret the app authenticated with (application tokens record it). */
  secretId: string;
  params: Readonly<Record<string, string>>;
  meta: RequestMeta;
}

export interface GrantOutcome {
  response: TokenResponse;
  principal: Principal;
  connectionId?: string;
}

export interface GrantHandler {
  readonly grantType: string;
  /** The code to answer when the app's Allowed Grants lack this grant (60 unless the grant says otherwise). */
  readonly notAllowedCode?: ConcurCode;
  handle(request: GrantRequest): Promise<GrantOutcome>;
}

export class GrantRegistry {
  private readonly handlers = new Map<string, GrantHandler>();

  register(handler: GrantHandler): this {
    if (this.handlers.has(handler.grantType)) throw new Error(`grant ${handler.grantType} is already registered`);
    this.handlers.set(handler.grantType, handler);
    return this;
  }

  get(grantType: string): GrantHandler | undefined {
    return this.handlers.get(grantType);
  }

  get grantTypes(): string[] {
    return [...this.handlers.keys()];
  }
}

/**
 * The scopes to grant: those requested, which may only narrow what is available (code 54),
 * or everything available when the request names none.
 */
export function grantedScopes(requested: string | undefined, available: readonly string[]): string[] {
  const asked = parseScopeParameter(requested);
  if (asked.length === 0) return [...available];
  const allowed = new Set(available);
  const extra = asked.filter((scope) => !allowed.has(scope));
  if (extra.length > 0) throw new ConcurError(54, { detail: notGrantedDetail(extra) });
  return asked;
}

/** Whether the company has enabled the app (its owner company always has). */
export async function companyEnabled(core: Core, app: App, companyId: string): Promise<boolean> {
  const grant = await core.store.apps.getCompanyGrant(app.id, companyId);
  return grant?.enabled === true;
}

/** Code 53 unless the company has enabled the app. */
export async function assertCompanyEnabled(core: Core, app: App, companyId: string): Promise<void> {
  if (!(await companyEnabled(core, app, companyId))) throw new ConcurError(53);
}

/** The detail of a 54 for the log and audit trail: known scope names only, so nothing a caller typed is kept. */
function notGrantedDetail(extra: readonly string[]): string {
  const known = extra.filter((scope) => KnownScopes.has(scope));
  const unknown = extra.length - known.length;
  return `not granted: ${[...known, ...(unknown > 0 ? [`${unknown} unknown scope${unknown === 1 ? '' : 's'}`] : [])].join(', ')}`;
}
