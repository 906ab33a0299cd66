/**
 * Postman environments of SAP Concur's Authentication collection (/work/shared/postman): the
 * variables dataCenterURI, clientId, clientSecret, companyUUID, requestToken and refreshToken.
 * The published environment ships placeholders ("from OAUTH 2.0 Application Management",
 * "XXX - set by postman collection"); those count as unset.
 */
import { normalizeGeolocation } from 'tessera-protocol';

export interface PostmanVariable {
  key: string;
  value?: unknown;
  type?: string;
  enabled?: boolean;
}

export interface PostmanEnvironment {
  id?: string;
  name?: string;
  values: PostmanVariable[];
  _postman_variable_scope?: string;
  _postman_exported_at?: string;
  _postman_exported_using?: string;
}

/** What an environment file says, placeholders removed. */
export interface PostmanConnectionValues {
  name: string | undefined;
  dataCenterURI: string | undefined;
  clientId: string | undefined;
  clientSecret: string | undefined;
  companyUUID: string | undefined;
  requestToken: string | undefined;
  refreshToken: string | undefined;
}

const placeholders = {
  app: 'from OAUTH 2.0 Application Management',
  requestToken: 'from Company Request Token',
  collection: 'XXX - set by postman collection',
  entity: 'Reference Only, if known',
};

/**
 * A placeholder rather than a value: empty, a Postman variable reference, "XXX…", or anything with
 * a space in it (client ids, secrets, UUIDs, tokens and hosts never have one).
 */
export function isPlaceholder(value: string): boolean {
  return value === '' || /\s/.test(value) || /^x{3}/i.test(value) || value.includes('{{');
}

/** Reads and checks a Postman environment export; throws a readable `Error` when it is not one. */
export function parsePostmanEnvironment(text: string): PostmanEnvironment {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('not JSON: export the environment from Postman (… → Export)');
  }
  const values = (parsed as { values?: unknown } | null)?.values;
  if (!Array.isArray(values) || !values.every((v) => v && typeof v === 'object' && typeof (v as PostmanVariable).key === 'string')) {
    throw new Error('not a Postman environment: it has no "values" list of {key, value}');
  }
  return parsed as PostmanEnvironment;
}

/** The connection values of an environment, looked up case-insensitively, disabled and placeholder values left out. */
export function connectionValues(environment: PostmanEnvironment): PostmanConnectionValues {
  const lookup = (...keys: string[]): string | undefined => {
    for (const key of keys) {
      const variable = environment.values.find((v) => v.key.toLowerCase() === key.toLowerCase() && v.enabled !== false);
      const value = variable?.value === undefined || variable.value === null ? '' : String(variable.value).trim();
      if (variable && !isPlaceholder(value)) return value;
    }
    return undefined;
  };
  return {
    name: typeof environment.name === 'string' ? environment.name : undefined,
    dataCenterURI: lookup('dataCenterURI', 'datacenter', 'geolocation', 'baseURI'),
    clientId: lookup('clientId', 'client_id'),
    clientSecret: lookup('clientSecret', 'client_secret'),
    companyUUID: lookup('companyUUID', 'companyId'),
    requestToken: lookup('requestToken'),
    refreshToken: lookup('refreshToken', 'refresh_token'),
  };
}

/** A file-friendly environment name from Postman's ("Concur Default Env" → "concur-default-env"). */
export function environmentNameFrom(name: string | undefined): string | undefined {
  const slug = (name ?? '').toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[-._]+|[-._]+$/g, '').slice(0, 64);
  return slug || undefined;
}

export interface ExportInput {
  name: string;
  /** The geolocation (or the datacenter) the collection's requests should go to. */
  baseUrl: string;
  clientId: string;
  clientSecret: string | undefined;
  companyUUID?: string | undefined;
  requestToken?: string | undefined;
  refreshToken?: string | undefined;
}

/** A Postman environment for SAP Concur's Authentication collection, as Postman exports one. */
export function toPostmanEnvironment(input: ExportInput, now = new Date()): PostmanEnvironment {
  const variable = (key: string, value: string | undefined, placeholder: string, type = 'default'): PostmanVariable =>
    ({ key, value: value ?? placeholder, type, enabled: true });
  return {
    id: globalThis.crypto.randomUUID(),
    name: input.name,
    values: [
      variable('dataCenterURI', new URL(normalizeGeolocation(input.baseUrl)).host, ''),
      variable('clientId', input.clientId, placeholders.app),
      variable('clientSecret', input.clientSecret, placeholders.app, 'secret'),
      variable('companyUUID', input.companyUUID, placeholders.requestToken),
      variable('requestToken', input.requestToken, placeholders.requestToken, 'secret'),
      variable('refreshToken', input.refreshToken, placeholders.collection, 'secret'),
      variable('accessToken', undefined, placeholders.collection, 'any'),
      variable('ConcurEntity', undefined, placeholders.entity),
    ],
    _postman_variable_scope: 'environment',
    _postman_exported_at: now.toISOString(),
    _postman_exported_using: 'tessera/0.1.0',
  };
}
