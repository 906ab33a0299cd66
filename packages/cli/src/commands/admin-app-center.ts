/**
 * `tessera admin app-center …` (docs/protocol.md §12 "App Center"): the listed apps of other
 * companies, Connect (prints the Connect URL with the company's new request token: open it in a
 * browser, or hand it to the partner) and Disconnect. Locally as the operator within `--company`,
 * or with `--server` as the signed-in administrator, through the same core operations.
 */
import type { Command } from 'commander';
import type { AppCenterView } from 'tessera-server';
import { printRecord, printTable } from '../output.js';
import { withOperations } from './admin.js';

const yourCompany = 'company (default: the demo company; with --server: yours)';

export function registerAppCenterCommands(admin: Command): void {
  const appCenter = admin.command('app-center').description('connect the apps other companies list (App Center)');

  appCenter
    .command('list')
    .description('list the apps other companies offer, and whether your company has each connected')
    .option('--company <uuid>', yourCompany)
    .action(async (options, command: Command) => {
      await withOperations(command, options.company, async (ops, json) => {
        const all: AppCenterView[] = [];
        for (let offset = 0; ; offset += 200) {
          const page = await ops.listAppCenter({ limit: 200, offset });
          all.push(...page.items);
          if (all.length >= page.total || page.items.length === 0) break;
        }
        printTable(all.map((app) => ({ ...app })), ['clientId', 'name', 'companyName', 'connected', 'activeConnections', 'connectUrl'], json);
      });
    });

  appCenter
    .command('connect')
    .description('connect a listed app: makes the company\'s request token for it and prints the Connect URL that carries it to the partner')
    .requiredOption('--client-id <id>', 'the listed app (Client ID)')
    .option('--login-id <login>', 'on the local store: the administrator to connect as (their UUID goes to the partner as userID); default: the company\'s first')
    .option('--company <uuid>', yourCompany)
    .action(async (options, command: Command) => {
      await withOperations(command, options.company, async (ops, json) => {
        const connected = await ops.connectApp(String(options.clientId), options.loginId === undefined ? {} : { loginId: String(options.loginId) });
        if (!json) process.stderr.write('Open this URL in a browser to finish connecting (it carries a live request token: treat it as a secret):\n');
        printRecord({ redirectUrl: connected.redirectUrl, clientId: connected.clientId, name: connected.name, expiresAt: connected.expiresAt }, json);
      });
    });

  appCenter
    .command('disconnect')
    .description('withdraw another company\'s app from the company: it gets code 53 for it, and its connections are revoked')
    .requiredOption('--client-id <id>', 'the app (Client ID)')
    .option('--company <uuid>', yourCompany)
    .action(async (options, command: Command) => {
      await withOperations(command, options.company, async (ops, json) => {
        printRecord({ ...(await ops.disconnectApp(String(options.clientId))) }, json);
      });
    });
}
