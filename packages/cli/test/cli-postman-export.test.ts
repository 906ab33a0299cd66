/**
 * `tessera postman export` against a live Tessera: the collection it writes for an environment
 * (imported from a Postman environment with a request token) runs green under newman, every
 * request and every assertion, twice in a row; the environment file carries the environment's
 * values with secrets typed `secret`; and a request that answers wrongly fails the run.
 */
import { createRequire } from 'node:module';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, WebServicesAdministrator } from 'tessera-server';
import { formAction, hiddenFields, paramsOf, PageBrowser } from '../../server/test/authorize-helpers.js';
import { defaultScopes, makeApp, makeRequestToken, startTestServer, type TestServer } from '../../server/test/helpers.js';
import { tesseraCollection } from '../src/postman-collection.js';
import { EmulatorFolder, EndpointTable, type EndpointFolder } from '../src/postman-endpoints.js';
import { cli, tempHome } from './run-cli.js';

/** The part of newman's Node API used here (the package ships no types). */
interface NewmanSummary {
  run: {
    failures: Array<{ source?: { name?: string }; error?: { message?: string; test?: string } }>;
    executions: Array<{ item: { name: string }; response?: { code: number }; assertions?: Array<{ assertion: string; error?: { message?: string } }> }>;
    stats: { assertions: { total: number; failed: number }; requests: { total: number } };
  };
  environment: { values: { toObject(): Record<string, string> } };
}
const newman = createRequire(import.meta.url)('newman') as {
  run(options: Record<string, unknown>, callback: (error: Error | null, summary: NewmanSummary) => void): void;
};

type PostmanEnv = { values: { key: string; value: string; type: string }[] };

function runNewman(collection: unknown, environment: PostmanEnv, folders: string[]): Promise<NewmanSummary> {
  return new Promise((resolve, reject) => {
    newman.run({ collection, environment, folder: folders, reporters: [], timeoutRequest: 10_000 },
      (error, summary) => (error ? reject(error) : resolve(summary)));
  });
}

/** The requests that ran, sorted: newman lists an execution when its first request event arrives, which a pre-request `pm.sendRequest` can reorder. */
const ran = (summary: NewmanSummary) => summary.run.executions.map((e) => e.item.name).sort();
const failuresOf = (summary: NewmanSummary) => summary.run.failures.map((f) => `${f.source?.name}: ${f.error?.test ?? ''} ${f.error?.message}`);

/** Every folder but the emulator's, which needs a server in emulator mode (tested on its own below). */
const folders = EndpointTable.filter((f) => f.name !== EmulatorFolder);
const requestNames = folders.flatMap((f) => f.requests.map((r) => r.name));

const redirectUri = 'https://client.example/callback';
const password = 'a user password 1';
const adminPassword = 'an admin password 1';

let t: TestServer;
let h: { home: string; remove: () => void };
let app: Awaited<ReturnType<typeof makeApp>>;
let companyUUID: string;
let requestToken: string;
const user = { loginId: `postman-user-${Date.now()}`, email: `postman.user.${Date.now()}@test.example` };
const admin = { loginId: `postman-admin-${Date.now()}` };

/** What a person does in a browser: sign in at /authorize and allow; answers the code. */
async function authorizationCode(): Promise<string> {
  const browser = new PageBrowser(t.url);
  let page = await browser.get(`/oauth2/v0/authorize?${new URLSearchParams({
    client_id: app.clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid user.read', state: 's', nonce: 'n',
  })}`);
  if (page.text.includes('name="login_id"')) {
    page = await browser.post(formAction(page.text)!, { ...hiddenFields(page.text), login_id: user.loginId, password });
  }
  if (page.text.includes('value="allow"')) page = await browser.post(formAction(page.text)!, { ...hiddenFields(page.text), decision: 'allow' });
  expect(page.status).toBe(303);
  return paramsOf(page.location).code!;
}

async function adminToken(): Promise<string> {
  const response = await fetch(`${t.url}/admin/api/token`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ loginId: admin.loginId, password: adminPassword }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { accessToken: string }).accessToken;
}

/** The values a tester adds to the exported environment: a user, an OTP address, a code, and an admin token for the outbox. */
async function filledIn(environment: PostmanEnv, values: Record<string, string>): Promise<PostmanEnv> {
  const extra: Record<string, string> = {
    username: user.loginId, password, otpEmail: user.email, redirectUri, code: await authorizationCode(), adminToken: await adminToken(), ...values,
  };
  return { ...environment, values: environment.values.map((v) => (v.key in extra ? { ...v, value: extra[v.key]! } : v)) };
}

let exported: { collection: unknown; environment: PostmanEnv; dir: string };

beforeAll(async () => {
  t = await startTestServer({ settings: { logLevel: 'silent' } });
  app = await makeApp(t, {
    grants: ['password', 'refresh_token', 'client_credentials', 'authorization_code', 'otp'], scopes: defaultScopes, redirectUris: [redirectUri],
  });
  await createUser(t.server.core, { companyId: t.companyId, loginId: user.loginId, password, email: user.email });
  await createUser(t.server.core, { companyId: t.companyId, loginId: admin.loginId, password: adminPassword, roles: [WebServicesAdministrator] });
  ({ companyUUID, requestToken } = await makeRequestToken(t, app.clientId));

  // The tester's environment, imported from a Postman environment that carries the request token.
  h = tempHome();
  const file = join(h.home, '..', 'mine.postman_environment.json');
  writeFileSync(file, JSON.stringify({
    name: 'Local Tessera',
    values: [
      { key: 'dataCenterURI', value: t.url }, { key: 'clientId', value: app.clientId }, { key: 'clientSecret', value: app.clientSecret },
      { key: 'companyUUID', value: companyUUID }, { key: 'requestToken', value: requestToken },
    ],
  }));
  const imported = await cli(h.home, ['env', 'import', file, '--name', 'local', '--datacenter', t.url]);
  expect(imported.code, imported.stderr).toBe(0);

  const dir = join(h.home, '..', 'postman');
  const result = await cli(h.home, ['postman', 'export', '--env', 'local', '--out', dir, '--json']);
  expect(result.code, result.stderr).toBe(0);
  expect(JSON.parse(result.stdout)).toMatchObject({ baseUrl: t.url, requestToken: 'set', refreshToken: '(unset)' });
  exported = {
    dir,
    collection: JSON.parse(readFileSync(join(dir, 'tessera.postman_collection.json'), 'utf8')),
    environment: JSON.parse(readFileSync(join(dir, 'tessera.postman_environment.json'), 'utf8')) as PostmanEnv,
  };
});
afterAll(async () => {
  await t?.close();
  h?.remove();
});

describe('tessera postman export', () => {
  it('writes a v2.1 collection of every endpoint, using only variables, and an environment with the secrets typed secret', () => {
    const collection = exported.collection as { info: { schema: string }; item: { name: string; item: { request: { url: { raw: string } } }[] }[] };
    expect(collection.info.schema).toBe('https://schema.getpostman.com/json/collection/v2.1.0/collection.json');
    expect(collection.item.map((f) => f.name)).toEqual(EndpointTable.map((f) => f.name));
    for (const request of collection.item.flatMap((f) => f.item)) expect(request.request.url.raw).toMatch(/^\{\{baseUrl\}\}\//);
    expect(JSON.stringify(collection)).not.toContain(app.clientSecret);
    expect(JSON.stringify(collection)).not.toContain(t.url);

    expect(statSync(join(exported.dir, 'tessera.postman_environment.json')).mode & 0o777).toBe(0o600);
    const variable = (key: string) => exported.environment.values.find((v) => v.key === key);
    expect(variable('baseUrl')).toMatchObject({ value: t.url, type: 'default' });
    expect(variable('clientId')).toMatchObject({ value: app.clientId, type: 'default' });
    expect(variable('clientSecret')).toMatchObject({ value: app.clientSecret, type: 'secret' });
    expect(variable('companyUUID')).toMatchObject({ value: companyUUID });
    expect(variable('requestToken')).toMatchObject({ value: requestToken, type: 'secret' });
    expect(variable('refreshToken')).toMatchObject({ value: '', type: 'secret' });
  });

  it('runs green under newman against the live server, every request and assertion, and again after its cleanup', async () => {
    const first = await runNewman(exported.collection, await filledIn(exported.environment, {}), folders.map((f) => f.name));
    expect(failuresOf(first)).toEqual([]);
    expect(ran(first)).toEqual([...requestNames].sort()); // nothing skipped
    expect(first.run.stats.assertions.failed).toBe(0);
    expect(first.run.stats.assertions.total).toBeGreaterThan(requestNames.length * 3);

    // Converted once: the request token is cleared and the company's refresh token kept; the cleanup revoked the
    // user connections and cleared the used code and OTP.
    const after = first.environment.values.toObject();
    expect(after).toMatchObject({ requestToken: '', userRefreshToken: '', userAccessToken: '', code: '', otp: '', secretId: '' });
    expect(after.refreshToken).toMatch(/^[0-9a-f-]{36}$/);

    // A second run goes on from the refresh token (with a new code, as a person would fetch one): only the conversion is skipped.
    const again = await runNewman(exported.collection, await filledIn({
      values: Object.entries(after).map(([key, value]) => ({ key, value, type: 'default' })),
    }, {}), folders.map((f) => f.name));
    expect(failuresOf(again)).toEqual([]);
    expect(ran(again)).toEqual(requestNames.slice(1).sort());
    expect(again.run.stats.assertions.failed).toBe(0);
  });

  it('runs the emulator folder green against a server in emulator mode', async () => {
    const emulated = await startTestServer({ settings: { logLevel: 'silent', emulator: true } });
    try {
      const emulatedApp = await makeApp(emulated);
      const values: Record<string, string> = { baseUrl: emulated.url, clientId: emulatedApp.clientId, clientSecret: emulatedApp.clientSecret };
      const environment = { values: exported.environment.values.map((v) => (v.key in values ? { ...v, value: values[v.key]! } : v)) };
      const summary = await runNewman(exported.collection, environment, [EmulatorFolder]);
      expect(failuresOf(summary)).toEqual([]);
      expect(ran(summary)).toEqual(EndpointTable.find((f) => f.name === EmulatorFolder)!.requests.map((r) => r.name).sort());
      expect(summary.run.stats.assertions.failed).toBe(0);
      // The run leaves the emulator as it found it: clock reset, no rule left.
      expect(await (await fetch(`${emulated.url}/emulator/v0/faults`)).json()).toEqual({ faults: [] });
      expect(await (await fetch(`${emulated.url}/emulator/v0/clock`)).json()).toMatchObject({ offsetSeconds: 0 });
    } finally {
      await emulated.close();
    }
  });

  it('has an emulator folder that fails without emulator mode, where no /emulator route exists', async () => {
    const summary = await runNewman(exported.collection, await filledIn(exported.environment, {}), [EmulatorFolder]);
    const emulatorRequests = EndpointTable.find((f) => f.name === EmulatorFolder)!.requests;
    const notFound = summary.run.executions.filter((e) => e.response?.code === 404).map((e) => e.item.name);
    // Every emulator route answers 404 (the rule's deletion is skipped: no rule was made); the token request the fault would break answers normally.
    const routes = emulatorRequests.filter((r) => r.path.startsWith('/emulator/') && !r.needs?.includes('faultId'));
    expect(notFound.sort()).toEqual(routes.map((r) => r.name).sort());
    expect(failuresOf(summary).join('\n')).toMatch(/read the clock: status 200 expected response to have status code 200 but got 404/);
  });

  it('fails the run when an endpoint answers wrongly', async () => {
    // The same table with one request pointed at a wrong path: its status and shape tests fail, and the run says so.
    const broken: EndpointFolder[] = folders.map((f) => ({
      ...f, requests: f.requests.map((r) => (r.path === '/oauth2/v0/jwks' ? { ...r, path: '/oauth2/v0/jwk' } : r)),
    }));
    const summary = await runNewman(tesseraCollection(broken), await filledIn(exported.environment, {}), folders.map((f) => f.name));
    const failures = failuresOf(summary);
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.every((f) => f.startsWith('JWKS:'))).toBe(true);
    expect(failures.join('\n')).toMatch(/status 200/);
  });
});
