/**
 * `tessera admin keys …`: the signing keys of the service (docs/protocol.md Decision 9). `rotate`
 * publishes a new key at once and lets it sign after the propagation delay, while the old key
 * stays published until every token it signed has expired; running nodes pick it up by
 * themselves. Private halves are never shown.
 */
import type { Command } from 'commander';
import { CommandError, printRecord, printTable } from '../output.js';
import { withCore } from './admin.js';

const algs = ['RS256', 'ES256', 'EdDSA'] as const;

export function registerAdminKeyCommands(admin: Command): void {
  const keys = admin.command('keys').description('signing keys: list them, rotate without downtime');
  keys
    .command('list')
    .description('list the signing keys: pending (published, not yet signing), signing, retiring (published until its tokens expire), withdrawn')
    .action(async (_options, command: Command) => {
      await withCore(command, async (core, global, server) => {
        const rows = await server.listKeys(core);
        printTable(global.json ? rows.map((k) => ({ ...k })) : rows.map((k) => ({ ...k, retiredAt: k.retiredAt ?? '', withdrawnAt: k.withdrawnAt ?? '' })),
          ['kid', 'alg', 'status', 'activatesAt', 'retiredAt', 'withdrawnAt'], Boolean(global.json));
      });
    });
  keys
    .command('rotate')
    .description('make a new signing key: published now, signing after TESSERA_KEY_PROPAGATION_SECONDS; the old one retires then')
    .option('--alg <alg>', `algorithm of the new key (${algs.join(', ')}); default: the one the service signs with now`)
    .action(async (options: { alg?: string }, command: Command) => {
      const alg = options.alg;
      if (alg !== undefined && !(algs as readonly string[]).includes(alg)) {
        throw new CommandError(`--alg must be one of ${algs.join(', ')}`, 2);
      }
      await withCore(command, async (core, global, server) => {
        const rotation = await server.rotateSigningKey(core, { actor: server.operatorActor, ...(alg ? { alg: alg as (typeof algs)[number] } : {}) });
        if (global.json) {
          printRecord({ ...rotation }, true);
          return;
        }
        printRecord({
          kid: rotation.key.kid, alg: rotation.key.alg, publishedAt: rotation.key.createdAt, signsFrom: rotation.key.activatesAt,
          retired: rotation.retired.map((k) => `${k.kid} (stops signing ${k.retiredAt}, withdrawn ${k.withdrawnAt})`).join('; ') || 'none',
        }, false);
      });
    });
}
