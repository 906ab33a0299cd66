/**
 * Turns the endpoint table (postman-endpoints.ts) into a Postman collection v2.1 with a test
 * script per request, and an environment holding the values of a `tessera env` environment.
 * Every request uses only variables, so one collection serves every environment.
 */
import { CollectionVariables, EndpointTable, type EndpointFolder, type EndpointRequest } from './postman-endpoints.js';
import type { PostmanEnvironment } from './postman.js';

const SchemaV21 = 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json';

interface PostmanEvent {
  listen: 'prerequest' | 'test';
  script: { type: 'text/javascript'; exec: string[] };
}

const event = (listen: PostmanEvent['listen'], source: string): PostmanEvent =>
  ({ listen, script: { type: 'text/javascript', exec: source.split('\n') } });

const js = (value: unknown) => JSON.stringify(value);

/** The value at `a.b.0.c` of the parsed answer, as JavaScript source. */
const at = (path: string) => `body${path.split('.').map((part) => `[${js(/^\d+$/.test(part) ? Number(part) : part)}]`).join('')}`;

function typeCheck(path: string, type: string): string {
  const parts = path.split('.');
  const levels = parts.map((_part, i) => at(parts.slice(0, i + 1).join('.')));
  // Guards each level so a missing parent fails naming the field instead of with a TypeError.
  const guard = ['body', ...levels.slice(0, -1)].map((level) => `${level} != null`).join(' && ');
  const value = `(${guard} ? ${levels[levels.length - 1]} : undefined)`;
  return type === 'array'
    ? `pm.expect(Array.isArray(${value}), ${js(`${path} is an array`)}).to.eql(true);`
    : `pm.expect(${value}, ${js(path)}).to.be.a(${js(type)});`;
}

/** The test script: status, correlation id, the Concur shape, further checks, then the captured variables. */
export function testScript(request: EndpointRequest): string {
  const lines = [
    `pm.test(${js(`status ${request.status}`)}, function () { pm.response.to.have.status(${request.status}); });`,
    "pm.test('concur-correlationid header', function () { pm.expect(pm.response.headers.get('concur-correlationid'), 'concur-correlationid').to.be.a('string').and.not.empty; });",
  ];
  const needsBody = request.shape || request.checks?.length || request.capture;
  if (needsBody) {
    lines.push('var body; try { body = pm.response.json(); } catch (e) { body = undefined; }');
    lines.push("pm.test('a JSON answer', function () { pm.expect(body, 'JSON body').to.not.be.undefined; });");
  }
  if (request.shape) {
    lines.push('pm.test(\'the answer has the Concur shape\', function () {');
    for (const [path, type] of Object.entries(request.shape)) lines.push(`  ${typeCheck(path, type)}`);
    lines.push('});');
  }
  for (const [name, source] of request.checks ?? []) lines.push(`pm.test(${js(name)}, function () { ${source} });`);
  if (request.capture) {
    // Only a successful answer replaces a variable: a failed run must not wipe a good refresh token.
    lines.push(`if (pm.response.code === ${request.status} && body) {`);
    for (const [variable, path] of Object.entries(request.capture)) {
      lines.push(`  if (${at(path)} !== undefined) pm.environment.set(${js(variable)}, String(${at(path)}));`);
    }
    lines.push('}');
  }
  if (request.after) lines.push(request.after);
  return lines.join('\n');
}

/** The pre-request script: the request's own preparation, then a skip (with the reason on the console) when a needed variable is empty. */
export function prerequestScript(request: EndpointRequest): string | undefined {
  const lines: string[] = [];
  if (request.prerequest) lines.push(request.prerequest.trim());
  if (request.needs?.length) {
    lines.push(`var missing = ${js(request.needs)}.filter(function (name) { return !pm.variables.get(name); });`);
    lines.push(`if (missing.length) { console.log(${js(`skipped "${request.name}": set `)} + missing.join(', ')); pm.execution.skipRequest(); }`);
  }
  for (const field of request.optionalFields ?? []) {
    lines.push(`if (!pm.variables.replaceIn(${js(request.form?.[field] ?? '')})) pm.request.body.urlencoded.remove(${js(field)});`);
  }
  return lines.length ? lines.join('\n') : undefined;
}

function postmanUrl(path: string) {
  const [pathname, query] = path.split('?');
  return {
    raw: `{{baseUrl}}${path}`,
    host: ['{{baseUrl}}'],
    path: pathname!.split('/').filter(Boolean),
    ...(query ? { query: [...new URLSearchParams(query)].map(([key, value]) => ({ key, value })) } : {}),
  };
}

function item(request: EndpointRequest) {
  const header: { key: string; value: string }[] = [{ key: 'Accept', value: 'application/json' }];
  if (request.bearer) header.push({ key: 'Authorization', value: `Bearer {{${request.bearer}}}` });
  let body: Record<string, unknown> | undefined;
  if (request.form) {
    header.push({ key: 'Content-Type', value: 'application/x-www-form-urlencoded' });
    body = { mode: 'urlencoded', urlencoded: Object.entries(request.form).map(([key, value]) => ({ key, value, type: 'text' })) };
  } else if (request.json !== undefined) {
    header.push({ key: 'Content-Type', value: 'application/json' });
    body = { mode: 'raw', raw: JSON.stringify(request.json, null, 2), options: { raw: { language: 'json' } } };
  }
  const prerequest = prerequestScript(request);
  return {
    name: request.name,
    event: [...(prerequest ? [event('prerequest', prerequest)] : []), event('test', testScript(request))],
    request: {
      method: request.method,
      header,
      ...(body ? { body } : {}),
      url: postmanUrl(request.path),
      description: request.description,
    },
    response: [],
  };
}

const folder = (f: EndpointFolder) => ({ name: f.name, description: f.description, item: f.requests.map(item) });

/** Postman collection v2.1 of every Tessera endpoint. */
export function tesseraCollection(table: EndpointFolder[] = EndpointTable) {
  return {
    info: {
      _postman_id: globalThis.crypto.randomUUID(),
      name: 'Tessera',
      description: 'Every endpoint of a Tessera token service, with tests, run in order as one flow: the four steps, the grants, '
        + 'keys and discovery, the protected APIs, the app-secret API, then the cleanup (revocation) so the collection can run again. '
        + 'The emulator folder needs `tessera serve --emulator`. Written by `tessera postman export`; see docs/toolkit.md "Postman".',
      schema: SchemaV21,
    },
    item: table.map(folder),
  };
}

export interface TesseraEnvironmentInput {
  name: string;
  baseUrl: string;
  values: Partial<Record<string, string | undefined>>;
}

/** The Postman environment for the collection: every variable, secrets typed `secret`, unset ones empty. */
export function tesseraEnvironment(input: TesseraEnvironmentInput, now = new Date()): PostmanEnvironment {
  const values: Record<string, string | undefined> = { ...input.values, baseUrl: input.baseUrl };
  return {
    id: globalThis.crypto.randomUUID(),
    name: `Tessera ${input.name}`,
    values: CollectionVariables.map((v) => ({
      key: v.key, value: values[v.key] ?? '', type: v.secret ? 'secret' : 'default', enabled: true,
    })),
    _postman_variable_scope: 'environment',
    _postman_exported_at: now.toISOString(),
    _postman_exported_using: 'tessera/0.1.0',
  };
}
