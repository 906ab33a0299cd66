/**
 * `tessera postman export`: a Postman collection of every Tessera endpoint, with tests, and an
 * environment holding one `tessera env` environment's values (docs/toolkit.md "Postman").
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from 'tessera-client';
import { TesseraHome } from '../home.js';
import { printRecord } from '../output.js';
import { tesseraCollection, tesseraEnvironment } from '../postman-collection.js';

export const CollectionFile = 'tessera.postman_collection.json';
export const EnvironmentFile = 'tessera.postman_environment.json';

export function registerPostmanCommands(program: Command): void {
  const postman = program
    .command('postman')
    .description('a Postman collection of every Tessera endpoint, with tests (run it in Postman or with newman)');

  postman
    .command('export')
    .description(`write ${CollectionFile} and ${EnvironmentFile} (mode 0600: it contains the client secret and tokens) for an environment`)
    .option('--env <name>', 'the environment (default: TESSERA_ENV, or the current one)')
    .option('--out <dir>', 'the folder to write to', '.')
    .option('--json', 'print JSON')
    .action(async (options) => {
      const home = new TesseraHome();
      const environment = await home.resolve(options.env);
      const connection = await home.connection(environment.name);
      // Refreshes and API calls go to the connection's geolocation (docs/protocol.md §10); a new conversion to the datacenter.
      const baseUrl = (connection && !environment.requestToken ? connection.geolocation : undefined) ?? environment.datacenter;
      const dir = String(options.out);
      await mkdir(dir, { recursive: true });
      const collectionPath = join(dir, CollectionFile);
      const environmentPath = join(dir, EnvironmentFile);
      await writeFileAtomic(collectionPath, `${JSON.stringify(tesseraCollection(), null, '\t')}\n`, { mode: 0o644 });
      const values = {
        clientId: environment.clientId, clientSecret: environment.clientSecret, companyUUID: environment.companyUUID,
        requestToken: environment.requestToken, refreshToken: connection?.refreshToken,
      };
      await writeFileAtomic(environmentPath, `${JSON.stringify(tesseraEnvironment({ name: environment.name, baseUrl, values }), null, '\t')}\n`, { mode: 0o600 });
      printRecord({
        collection: collectionPath, environment: environmentPath, baseUrl,
        requestToken: values.requestToken ? 'set' : '(unset)', refreshToken: values.refreshToken ? 'set' : '(unset)',
        next: `newman run ${collectionPath} -e ${environmentPath} --folder …, or import both into Postman`,
      }, Boolean(options.json));
    });
}
