/**
 * `tessera status`: per environment, what is stored — geolocation, principal, scopes, the
 * refresh token's expiry with the days left (a warning under 30 days), the last refresh. Reads
 * local files only; no network.
 */
import type { Command } from 'commander';
import { daysUntil } from '../connection.js';
import { TesseraHome } from '../home.js';
import { printJson } from '../output.js';

/** Below this many days left, status warns and keep-alive (by default) refreshes. */
export const WarningDays = 30;

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('per environment: geolocation, principal, scopes, refresh token expiry (days left), last refresh')
    .option('--env <name>', 'only this environment')
    .option('--json', 'print JSON')
    .action(async (options) => {
      const home = new TesseraHome();
      const current = await home.current();
      const environments = options.env ? [await home.resolve(options.env)] : await home.list();
      const now = Date.now();
      const report = [];
      for (const environment of environments) {
        let connection;
        let problem: string | undefined;
        try {
          connection = await home.connection(environment.name);
        } catch (error) {
          problem = (error as Error).message;
        }
        const daysLeft = daysUntil(connection?.refreshExpiresAt, now);
        const expired = daysLeft !== undefined && Date.parse(connection!.refreshExpiresAt!) <= now;
        const revoked = environment.revoked && !connection ? environment.revoked : undefined;
        const warning = problem
          ?? (revoked ? `revoked ${revoked.at} by \`tessera token revoke --env ${revoked.by}\`: generate a new Company Request Token and run \`tessera token convert --env ${environment.name}\``
            : !connection ? `not connected: run \`tessera token convert --env ${environment.name}\``
            : expired ? `refresh token expired: generate a new Company Request Token and run \`tessera token convert --force --env ${environment.name}\``
              : daysLeft !== undefined && daysLeft < WarningDays ? `refresh token expires in ${daysLeft} days: run \`tessera keep-alive\` (daily, from cron)`
                : undefined);
        report.push({
          name: environment.name,
          current: environment.name === current,
          datacenter: environment.datacenter,
          clientId: environment.clientId,
          connected: Boolean(connection) && !expired,
          revoked: revoked ?? null,
          geolocation: connection?.geolocation ?? null,
          principal: connection?.principal ?? null,
          scopes: connection?.scopes ?? [],
          refreshExpiresAt: connection?.refreshExpiresAt ?? null,
          daysLeft: daysLeft ?? null,
          lastRefresh: connection?.updatedAt ?? null,
          warning: warning ?? null,
        });
      }
      if (options.json) return printJson(report);
      if (report.length === 0) {
        process.stdout.write('no environments yet: `tessera env add NAME --datacenter us2 --client-id ID` or `tessera env import FILE`\n');
        return;
      }
      const blocks = report.map((r) => {
        const lines = [`${r.name}${r.current ? ' (current)' : ''}`];
        const field = (label: string, value: string) => lines.push(`  ${label.padEnd(14)} ${value}`);
        field('datacenter', r.datacenter);
        field('client id', r.clientId);
        if (r.refreshExpiresAt !== null || r.geolocation !== null) {
          field('geolocation', r.geolocation ?? '');
          field('principal', r.principal ? `${r.principal.type} ${r.principal.id}` : '(unknown until the next refresh)');
          field('scopes', r.scopes.join(' ') || '(unknown until the next refresh)');
          field('refresh token', r.refreshExpiresAt
            ? `expires ${r.refreshExpiresAt.slice(0, 10)} (${r.daysLeft! < 0 ? 'expired' : `${r.daysLeft} days left`})`
            : 'expiry unknown until the next refresh');
          field('last refresh', r.lastRefresh ?? '');
        }
        if (r.warning) lines.push(`  warning: ${r.warning}`);
        return lines.join('\n');
      });
      process.stdout.write(`${blocks.join('\n\n')}\n`);
    });
}
