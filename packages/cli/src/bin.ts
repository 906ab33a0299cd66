#!/usr/bin/env node
/**
 * `tessera`: one command for the token service (serve, admin) and the integrator's toolkit
 * (env, token, call, status, keep-alive, postman). Server code is loaded only by server commands, so the
 * client commands run without the server's native dependencies.
 */
import { Command } from 'commander';
import { registerAdminCommands } from './commands/admin.js';
import { registerCallCommand } from './commands/call.js';
import { registerEmulatorCommands } from './commands/emulator.js';
import { registerEnvCommands } from './commands/env.js';
import { registerKeepAliveCommand } from './commands/keep-alive.js';
import { registerPostmanCommands } from './commands/postman.js';
import { registerServeCommand } from './commands/serve.js';
import { registerStatusCommand } from './commands/status.js';
import { registerTokenCommands } from './commands/token.js';
import { ExitCode } from './exit-codes.js';
import { exitOnError } from './output.js';
import { setGlobalCaFile } from './trust.js';

const program = new Command('tessera')
  .description('Concur-compatible OAuth 2.0 token service and integration toolkit')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  // Commander's own usage errors (unknown option or command, missing argument or option value,
  // too many arguments) end with the documented usage code 2, not commander's 1; --help and
  // --version still end with 0. Subcommands inherit this as they are created below.
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : ExitCode.Usage))
  .option('--ca <file>', 'trust the server certificates issued by this PEM file (e.g. the one `tessera serve --https` prints), besides the usual roots')
  .hook('preAction', () => setGlobalCaFile(program.opts<{ ca?: string }>().ca));

registerServeCommand(program);
registerAdminCommands(program);
registerEnvCommands(program);
registerTokenCommands(program);
registerCallCommand(program);
registerStatusCommand(program);
registerKeepAliveCommand(program);
registerPostmanCommands(program);
registerEmulatorCommands(program);

program.parseAsync(process.argv).catch(exitOnError);
