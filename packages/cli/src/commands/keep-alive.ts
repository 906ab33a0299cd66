/**
 * `tessera keep-alive`: the daily job of docs/protocol.md §1 and §13. Refreshes every environment
 * whose refresh token expires within `--within` days (each refresh slides its six months), one
 * line per environment, exit 1 if any refresh failed or any token had expired.
 */
import type { Command } from 'commander';
import { ConcurError } from 'tessera-client';
import { daysUntil, managerFor } from '../connection.js';
import { ExitCode } from '../exit-codes.js';
import { explainError } from '../explain.js';
import { TesseraHome } from '../home.js';
import { CommandError, printJson } from '../output.js';
import { WarningDays } from './status.js';

type Outcome = 'refreshed' | 'not-due' | 'not-connected' | 'expired' | 'failed';

interface Line {
  environment: string;
  outcome: Outcome;
  refreshExpiresAt: string | null;
  daysLeft: number | null;
  message: string;
  concurCode?: number | undefined;
  correlationId?: string | undefined;
}

const wholeDays = (value: string) => {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new CommandError(`--within ${value}: a number of days is needed`, ExitCode.Usage);
  return number;
};

export function registerKeepAliveCommand(program: Command): void {
  program
    .command('keep-alive')
    .description('refresh every environment whose refresh token expires within DAYS (run daily from cron); exit 1 if any failed or expired')
    .option('--within <days>', 'refresh when fewer days than this are left', wholeDays, WarningDays)
    .option('--env <name>', 'only this environment')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nA crontab line:\n  17 6 * * *  tessera keep-alive --within 30 >> ~/tessera-keep-alive.log 2>&1\n')
    .action(async (options) => {
      const home = new TesseraHome();
      const within: number = options.within;
      const environments = options.env ? [await home.resolve(options.env)] : await home.list();
      const lines: Line[] = [];
      for (const environment of environments) {
        const line = (outcome: Outcome, message: string, expiresAt?: string, extra: Partial<Line> = {}): Line => ({
          environment: environment.name, outcome, refreshExpiresAt: expiresAt ?? null, daysLeft: daysUntil(expiresAt) ?? null, message, ...extra,
        });
        const manager = managerFor(home, environment);
        let connection;
        try {
          connection = await manager.connection();
        } catch (error) {
          lines.push(line('failed', (error as Error).message));
          continue;
        }
        if (!connection) {
          lines.push(line('not-connected', 'not connected (skipped)'));
          continue;
        }
        const daysLeft = daysUntil(connection.refreshExpiresAt);
        if (daysLeft !== undefined && daysLeft >= within) {
          lines.push(line('not-due', `ok, expires in ${daysLeft} days (not due)`, connection.refreshExpiresAt));
          continue;
        }
        try {
          await manager.refresh();
          const after = await manager.connection();
          lines.push(line('refreshed', `refreshed, expires ${after?.refreshExpiresAt?.slice(0, 10) ?? '(unknown)'} (${daysUntil(after?.refreshExpiresAt) ?? '?'} days)`, after?.refreshExpiresAt));
        } catch (error) {
          const expired = error instanceof ConcurError && error.concurCode === 108;
          const explanation = explainError(error, environment.name);
          const message = (explanation instanceof Error ? explanation.message : String(explanation)).split('\n').map((s) => s.trim()).join('; ');
          lines.push(line(expired ? 'expired' : 'failed', `${expired ? 'EXPIRED' : 'FAILED'}: ${message}`, connection.refreshExpiresAt, {
            concurCode: error instanceof ConcurError ? error.concurCode : undefined,
            correlationId: error instanceof ConcurError ? error.correlationId : undefined,
          }));
        }
      }
      if (options.json) printJson(lines);
      else if (lines.length === 0) process.stdout.write('no environments\n');
      else for (const l of lines) process.stdout.write(`${l.environment}: ${l.message}\n`);
      if (lines.some((l) => l.outcome === 'failed' || l.outcome === 'expired')) process.exitCode = ExitCode.Failure;
    });
}
