/**
 * The registry of grants the token endpoint serves (docs/architecture.md "Seams that matter"), and the
 * small rules grants share: scope narrowing and whether a company has enabled an app.
 */
import { describeErrorCode, KnownScopes, parseScopeParameter } from 'tessera-protocol';
import type { Core } from '../context.js';
import { ConcurError } from '../errors.js';
import type { Grant, GrantParameter } from './grant.js';

/** The grants of one server by `grant_type`; each registers once, built-in and extra alike. */
export class GrantRegistry {
  private readonly grants = new Map<string, Grant>();

  /** Adds a grant; throws when its `grant_type` is taken or its declarations name codes the error table lacks. */
  register(grant: Grant): this {
    if (typeof grant.grantType !== 'string' || grant.grantType === '') throw new TypeError('a grant needs a grant_type');
    if (this.grants.has(grant.grantType)) throw new Error(`grant ${grant.grantType} is already registered`);
    if (grant.notAllowedCode !== undefined) assertKnownCode(grant, grant.notAllowedCode);
    for (const parameter of grant.parameters ?? []) assertWellDeclared(grant, parameter);
    this.grants.set(grant.grantType, grant);
    return this;
  }

  get(grantType: string): Grant | undefined {
    return this.grants.get(grantType);
  }

  get grantTypes(): string[] {
    return [...this.grants.keys()];
  }
}

function assertWellDeclared(grant: Grant, parameter: GrantParameter): void {
  if (parameter.required && parameter.missingCode === undefined) {
    throw new TypeError(`grant ${grant.grantType}: required parameter ${parameter.name} needs a missingCode`);
  }
  if (parameter.values && parameter.invalidCode === undefined) {
    throw new TypeError(`grant ${grant.grantType}: parameter ${parameter.name} with values needs an invalidCode`);
  }
  if (parameter.missingCode !== undefined) assertKnownCode(grant, parameter.missingCode);
  if (parameter.invalidCode !== undefined) assertKnownCode(grant, parameter.invalidCode);
}

function assertKnownCode(grant: Grant, code: number): void {
  if (!describeErrorCode(code)) throw new TypeError(`grant ${grant.grantType}: ${code} is not a Concur code of the error table`);
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
export async function companyEnablesApp(core: Core, appId: string, companyId: string): Promise<boolean> {
  const grant = await core.store.apps.getCompanyGrant(appId, companyId);
  return grant?.enabled === true;
}

/** Code 53 unless the company has enabled the app. */
export async function assertCompanyEnabledApp(core: Core, appId: string, companyId: string): Promise<void> {
  if (!(await companyEnablesApp(core, appId, companyId))) throw new ConcurError(53);
}

/** The detail of a 54 for the log and audit trail: known scope names only, so nothing a caller typed is kept. */
function notGrantedDetail(extra: readonly string[]): string {
  const known = extra.filter((scope) => KnownScopes.has(scope));
  const unknown = extra.length - known.length;
  return `not granted: ${[...known, ...(unknown > 0 ? [`${unknown} unknown scope${unknown === 1 ? '' : 's'}`] : [])].join(', ')}`;
}
