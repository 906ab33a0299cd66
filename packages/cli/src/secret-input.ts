/**
 * Secrets typed by people — client secrets, request tokens — never come from a command-line
 * argument (it would sit in the shell history and in `ps`): they are read from standard input
 * (`--…-stdin`), from an environment variable, or from a prompt that does not echo.
 */
import { CommandError, readStdin } from './output.js';
import { ExitCode } from './exit-codes.js';

export interface SecretSource {
  /** What it is, for messages ("client secret"). */
  label: string;
  /** The flag that reads it from standard input ("--client-secret-stdin"). */
  stdinFlag: string;
  /** Whether that flag was given. */
  fromStdin: boolean;
  /** The environment variable that may hold it ("TESSERA_CLIENT_SECRET"). */
  envVar: string;
}

/** Reads a secret from stdin (when asked), else the environment variable, else a hidden prompt on a terminal. */
export async function readSecret(source: SecretSource, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  let value: string | undefined;
  if (source.fromStdin) value = (await readStdin()).trim();
  else if (env[source.envVar]) value = env[source.envVar]!.trim();
  else if (process.stdin.isTTY && process.stderr.isTTY) value = (await promptHidden(`${source.label}: `)).trim();
  else {
    throw new CommandError(
      `no ${source.label}: pipe it to ${source.stdinFlag}, set ${source.envVar}, or run on a terminal to be asked (never as an argument)`,
      ExitCode.Usage);
  }
  if (!value) throw new CommandError(`the ${source.label} is empty`, ExitCode.Usage);
  return value;
}

/** Asks on the terminal without echoing what is typed. */
export function promptHidden(question: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(question);
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  let value = '';
  return new Promise((resolve, reject) => {
    const finish = () => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      process.stderr.write('\n');
    };
    const onData = (chunk: string) => {
      for (const character of chunk) {
        if (character === '\r' || character === '\n' || (character === '\u0004' && value)) {
          finish();
          resolve(value);
          return;
        }
        if (character === '\u0003' || character === '\u0004') {
          finish();
          reject(new CommandError('cancelled', 130));
          return;
        }
        if (character === '\u007f' || character === '\b') value = value.slice(0, -1);
        else if (character >= ' ') value += character;
      }
    };
    input.on('data', onData);
  });
}
