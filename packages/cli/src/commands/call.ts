/**
 * `tessera call [METHOD] PATH`: an authenticated request to the environment's geolocation, like
 * curl with the token handled (docs/protocol.md §10, §13). The body goes to stdout (pretty JSON on a
 * terminal); an HTTP error exits 4 with the status, the Concur code's meaning and the
 * correlation id on stderr.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ConcurError } from 'tessera-client';
import { CorrelationHeader } from 'tessera-protocol';
import { managerFor } from '../connection.js';
import { ExitCode } from '../exit-codes.js';
import { explainError, explained } from '../explain.js';
import { TesseraHome } from '../home.js';
import { CommandError, printJson, readStdin } from '../output.js';

const collect = (value: string, previous: string[]) => [...previous, value];

function parseHeaders(values: string[]): Headers {
  const headers = new Headers();
  for (const value of values) {
    const colon = value.indexOf(':');
    if (colon <= 0) throw new CommandError(`--header ${value}: write it as Name: value`, ExitCode.Usage);
    try {
      headers.append(value.slice(0, colon).trim(), value.slice(colon + 1).trim());
    } catch (error) {
      throw new CommandError(`--header ${value}: ${(error as Error).message}`, ExitCode.Usage);
    }
  }
  return headers;
}

async function readData(data: string): Promise<string> {
  if (data === '@-') return readStdin();
  if (data.startsWith('@')) {
    try {
      return await readFile(data.slice(1), 'utf8');
    } catch (error) {
      throw new CommandError(`--data ${data}: ${(error as Error).message}`, ExitCode.Usage);
    }
  }
  return data;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function registerCallCommand(program: Command): void {
  program
    .command('call')
    .description("an authenticated request to the environment's geolocation; prints the body, exits 4 on an HTTP error")
    .argument('<method-or-path>', 'the HTTP method (default GET, or POST with --data), or the path')
    .argument('[path]', 'the path, e.g. /profile/v1/me')
    .option('-d, --data <json|@file>', 'request body: JSON text, @file, or @- for standard input')
    .option('-H, --header <name:value>', 'a request header (repeatable)', collect, [])
    .option('--env <name>', 'the environment (default: TESSERA_ENV or the current one)')
    .option('--json', 'print {status, correlationId, contentType, body} as JSON')
    .addHelpText('after', '\nExamples:\n  tessera call /profile/v1/me\n  tessera call POST /expense/v4/… --data @report.json\n')
    .action(async (first: string, second: string | undefined, options) => {
      const home = new TesseraHome();
      const environment = await home.resolve(options.env);
      const path = second ?? first;
      const method = (second ? first : options.data !== undefined ? 'POST' : 'GET').toUpperCase();
      if (!/^[A-Z]+$/.test(method)) throw new CommandError(`${first} is not an HTTP method`, ExitCode.Usage);
      const headers = parseHeaders(options.header as string[]);
      let body: string | undefined;
      if (options.data !== undefined) {
        body = await readData(options.data);
        if (!headers.has('content-type')) {
          if (parseJson(body) === undefined) {
            throw new CommandError('--data is not JSON: fix it, or give its type with --header "Content-Type: …"', ExitCode.Usage);
          }
          headers.set('content-type', 'application/json');
        }
      }

      const manager = managerFor(home, environment);
      const response = await explained(environment.name, () => manager.fetch(path, { method, headers, ...(body === undefined ? {} : { body }) }));
      const correlationId = response.headers.get(CorrelationHeader) ?? undefined;
      const bytes = Buffer.from(await response.arrayBuffer());
      const contentType = response.headers.get('content-type') ?? '';
      const isJson = /[/+]json\b/i.test(contentType);
      const parsed = isJson ? parseJson(bytes.toString('utf8')) : undefined;

      if (options.json) {
        printJson({ status: response.status, correlationId: correlationId ?? null, contentType, body: parsed ?? bytes.toString('utf8') });
      } else if (parsed !== undefined && process.stdout.isTTY) {
        printJson(parsed);
      } else if (bytes.length > 0) {
        process.stdout.write(bytes);
        if (process.stdout.isTTY && bytes.at(-1) !== 0x0a) process.stdout.write('\n');
      }

      if (!response.ok) {
        const error = await ConcurError.fromResponse(new Response(bytes, { status: response.status, headers: response.headers }), 'ERR_HTTP', response.url);
        const explainedError = explainError(error, environment.name) as CommandError;
        const headline = `${method} ${new URL(response.url).pathname} answered ${response.status} ${response.statusText}`.trim();
        const detail = explainedError.message.includes('correlation id') || !correlationId ? explainedError.message : `${explainedError.message}\n  correlation id: ${correlationId}`;
        throw new CommandError(`${headline}: ${detail}`, ExitCode.Http);
      }
    });
}
