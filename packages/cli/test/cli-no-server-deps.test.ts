/**
 * The client commands must run where the token service's native dependencies cannot load: with
 * a module hook that makes `tessera-server` and `better-sqlite3` throw, `env list`, `token get`,
 * `call` and `postman export` still work — and a server command fails, which proves the hook bites.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { makeApp, makeRequestToken, startTestServer } from '../../server/test/helpers.js';
import { cli, tempHome } from './run-cli.js';

const hook = pathToFileURL(resolve(import.meta.dirname, 'fixtures/forbid-server.mjs')).href;
const forbidServer = { NODE_OPTIONS: `--import ${hook}` };

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('client commands without the server', () => {
  it('run with tessera-server and better-sqlite3 unloadable', async () => {
    const t = await startTestServer();
    cleanups.push(() => t.close());
    const { home, remove } = tempHome();
    cleanups.push(remove);
    const { clientId, clientSecret } = await makeApp(t);
    const { companyUUID, requestToken } = await makeRequestToken(t, clientId);

    const serverCommand = await cli(home, ['admin', 'companies', 'list', '--data-dir', `${home}-data`], { env: forbidServer });
    expect(serverCommand.code).not.toBe(0);
    expect(serverCommand.stderr).toMatch(/forbidden module in a client command: tessera-server/);

    const steps: string[][] = [
      ['env', 'add', 'dev', '--datacenter', t.url, '--client-id', clientId, '--company-uuid', companyUUID],
      ['env', 'list'],
      ['token', 'convert'],
      ['token', 'get'],
      ['call', '/profile/v1/me'],
      ['status'],
      ['keep-alive', '--within', '365'],
      ['postman', 'export', '--out', `${home}-postman`],
    ];
    for (const args of steps) {
      const run = await cli(home, args, { env: { ...forbidServer, TESSERA_CLIENT_SECRET: clientSecret, TESSERA_REQUEST_TOKEN: requestToken } });
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0);
      expect(run.stderr).not.toMatch(/forbidden/);
    }
  }, 90_000);
});
