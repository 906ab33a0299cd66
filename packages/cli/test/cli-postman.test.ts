/**
 * `tessera env import` / `env export --postman` with the environment SAP Concur publishes for its
 * Authentication collection (fixtures/, a copy of the one in the shared postman folder): placeholders count as unset; a filled-in
 * environment converts and refreshes against a Tessera served over HTTPS, as the collection does.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeApp, makeRequestToken, startTestServer } from '../../server/test/helpers.js';
import { cli, tempHome } from './run-cli.js';

/** SAP Concur's published environment, unchanged (SAP-samples/concur-web-services-authentication, Apache-2.0). */
const published = resolve(import.meta.dirname, 'fixtures/concur-default-env.postman_environment.json');
const publishedText = readFileSync(published, 'utf8');

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
function home() {
  const h = tempHome();
  cleanups.push(h.remove);
  return h.home;
}

function filledIn(values: Record<string, string>): string {
  const environment = JSON.parse(publishedText) as { values: { key: string; value: string }[] };
  for (const variable of environment.values) if (variable.key in values) variable.value = values[variable.key]!;
  return JSON.stringify(environment, null, '\t');
}

describe('Postman environments', () => {
  it('treats the placeholders of the published environment as unset', async () => {
    const h = home();
    const refused = await cli(h, ['env', 'import', published]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/no clientId .*placeholder.*--client-id/);

    const imported = await cli(h, ['env', 'import', published, '--client-id', 'c0ffee00-0000-4000-8000-000000000001', '--json'],
      { env: { TESSERA_CLIENT_SECRET: 'a-secret-typed-elsewhere' } });
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({
      imported: 'concur-default-env', datacenter: 'https://us2.api.concursolutions.com', companyUUID: '(unset)',
      requestToken: '(unset)', refreshToken: '(unset)',
    });
    const shown = JSON.parse((await cli(h, ['env', 'show', '--json'])).stdout);
    expect(shown).toMatchObject({ name: 'concur-default-env', companyUUID: '', requestToken: '', connected: false });
  });

  it('imports a filled-in environment, converts its request token over HTTPS, and exports it back', async () => {
    const t = await startTestServer({ settings: { https: true } });
    cleanups.push(() => t.close());
    const tls = { NODE_EXTRA_CA_CERTS: join(t.dataDir, 'localhost-cert.pem') };
    const { clientId, clientSecret } = await makeApp(t);
    const { companyUUID, requestToken } = await makeRequestToken(t, clientId);
    const h = home();
    const file = join(h, '..', 'mine.postman_environment.json');
    const host = new URL(t.url).host;
    writeFileSync(file, filledIn({ dataCenterURI: host, clientId, clientSecret, companyUUID, requestToken }));

    const imported = await cli(h, ['env', 'import', file, '--name', 'sandbox']);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/next\s+tessera token convert/);

    const converted = await cli(h, ['token', 'convert'], { env: tls });
    expect(converted.code, converted.stderr).toBe(0);
    const got = await cli(h, ['token', 'get'], { env: tls });
    expect(got.code, got.stderr).toBe(0);

    const out = join(h, '..', 'exported.json');
    const exported = await cli(h, ['env', 'export', 'sandbox', '--postman', '--output', out]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const environment = JSON.parse(readFileSync(out, 'utf8'));
    const value = (key: string) => environment.values.find((v: { key: string }) => v.key === key)?.value;
    expect(environment._postman_variable_scope).toBe('environment');
    expect(value('dataCenterURI')).toBe(host);
    expect(value('clientId')).toBe(clientId);
    expect(value('clientSecret')).toBe(clientSecret);
    expect(value('companyUUID')).toBe(companyUUID);
    expect(value('requestToken')).toBe('from Company Request Token'); // spent
    const stored = JSON.parse(readFileSync(join(h, 'environments', 'sandbox.connection.json'), 'utf8'));
    expect(value('refreshToken')).toBe(stored.refreshToken);
    // An environment exported with a refresh token imports as connected.
    const again = home();
    const reimported = await cli(again, ['env', 'import', out]);
    expect(reimported.code, reimported.stderr).toBe(0);
    const regot = await cli(again, ['token', 'get', '--json'], { env: tls });
    expect(regot.code, regot.stderr).toBe(0);
    expect(JSON.parse(regot.stdout)).toMatchObject({ geolocation: t.url, principal: { type: 'company', id: companyUUID } });
  }, 90_000);
});
