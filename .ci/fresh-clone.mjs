/**
 * CI: a newcomer's first ten minutes. Clones the repository (its committed HEAD) into a temporary
 * folder and runs README.md's commands there as written, read out of README.md itself so the two
 * cannot drift:
 *
 * 1. Quick start: `npm ci && npm start`, then `npx tessera --help`, then the step-3 `curl` that
 *    the first start prints, exactly as printed.
 * 2. "The four steps against Tessera": `npx tessera serve --https --port 8443`, then every command
 *    of steps 1–4 with only README's placeholder values (`0b3f…` and the like) replaced by the
 *    values the previous commands answered (see `placeholders`).
 *
 * Any command that exits non-zero, or a `curl` that answers a Concur error, fails the check. Every
 * server it starts is stopped. Usage: `node .ci/fresh-clone.mjs` (from anywhere in the repository).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(repo, 'README.md'), 'utf8');

/**
 * README's placeholders, and where the real value comes from: the JSON a previous command
 * answered. A command with a `…` value not listed here fails the check (a new placeholder needs
 * a line here).
 */
const placeholders = [
  { placeholder: '0b3f…', from: 'apps create', field: 'clientId' },
  { placeholder: '7c1e…', from: 'apps create', field: 'clientSecret' },
  { placeholder: '9c69…', from: 'request-token', field: 'companyUUID' },
  { placeholder: 'at-j4iuvwswdh3jlrhkl638hl5fjpsfqw', from: 'request-token', field: 'requestToken' },
  { placeholder: 'a36b45fb-…', from: 'step 3', field: 'refresh_token' },
  { placeholder: 'eyJhbGciOi…', from: 'step 4', field: 'access_token' },
];

// ---- README.md, parsed ----

/** The ```sh blocks of a README section, each as its commands (continuation lines joined, comments dropped). */
function shellBlocks(section) {
  const start = readme.indexOf(`\n## ${section}\n`);
  if (start < 0) throw new Error(`README.md has no section "${section}"`);
  const end = readme.indexOf('\n## ', start + 1);
  const text = readme.slice(start, end < 0 ? undefined : end);
  return [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map(([, body]) => body
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line && !line.startsWith('#')));
}

/** The one command of `commands` that contains `needle`. */
function pick(commands, needle) {
  const found = commands.filter((command) => command.includes(needle));
  if (found.length !== 1) throw new Error(`README.md: expected one command with "${needle}", found ${found.length}`);
  return found[0];
}

const quickStart = shellBlocks('Quick start').flat();
const fourSteps = shellBlocks('The four steps against Tessera').flat();
const installAndStart = pick(quickStart, 'npm start');
const help = /`(npx tessera --help)`/.exec(readme)?.[1];
if (!help) throw new Error('README.md no longer mentions `npx tessera --help`');
const serve = pick(fourSteps, 'tessera serve');
const createApp = pick(fourSteps, 'apps create');
const requestToken = pick(fourSteps, 'request-token');
const convert = pick(fourSteps, 'grant_type=password');
const refresh = pick(fourSteps, 'grant_type=refresh_token');
const callApi = pick(fourSteps, '/profile/v1/me');

// ---- running them ----

const clone = mkdtempSync(join(tmpdir(), 'tessera-fresh-clone-'));
/** Servers started in the background, each the leader of its own process group. */
const servers = [];
// A newcomer's shell has none of the developer's own tessera settings.
const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('TESSERA_') && key !== 'CI'));
env.TESSERA_HOME = join(clone, '.tessera-home');

/** Runs one README command in the clone with bash, showing it; answers its stdout. */
function run(command, { timeoutMs = 60_000 } = {}) {
  console.log(`$ ${command}`);
  const stdout = execFileSync('bash', ['-c', command], { cwd: join(clone, 'tessera'), env, encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'inherit'] });
  const shown = stdout.length > 2000 ? `${stdout.slice(0, 2000)}…` : stdout;
  process.stdout.write(shown.endsWith('\n') ? shown : `${shown}\n`);
  return stdout;
}

/** A `curl` of the README answers JSON, not a Concur error. */
function runCurl(command) {
  const answer = JSON.parse(run(command));
  if (answer.error || answer.code) throw new Error(`${command}\nanswered ${JSON.stringify(answer)}`);
  return answer;
}

/** Starts a README command in the background and waits until its stderr matches `ready`; answers that stderr. */
function start(command, ready, timeoutMs) {
  console.log(`$ ${command} &`);
  const child = spawn('bash', ['-c', command], { cwd: join(clone, 'tessera'), env, detached: true, stdio: ['ignore', 'inherit', 'pipe'] });
  servers.push(child);
  return new Promise((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`${command}: not ready after ${timeoutMs / 1000} s\n${stderr}`)), timeoutMs);
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      process.stderr.write(chunk);
      stderr += chunk;
      if (ready.test(stderr)) {
        clearTimeout(timer);
        resolve(stderr);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code}`));
    });
  });
}

/** Stops a background command and everything it started (npm → node). */
async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(-child.pid, 'SIGTERM');
  await exited;
}

/** Replaces README's placeholders in `command` with the values answered so far. */
function substitute(command, answers) {
  let result = command;
  for (const { placeholder, from, field } of placeholders) {
    if (!result.includes(placeholder)) continue;
    const value = answers[from]?.[field];
    if (typeof value !== 'string') throw new Error(`README.md: ${placeholder} in "${command}" needs ${field} from ${from}, which has not answered it`);
    result = result.split(placeholder).join(value);
  }
  const unknown = /\S*…\S*/.exec(result);
  if (unknown) throw new Error(`README.md: "${unknown[0]}" in "${command}" is a placeholder .ci/fresh-clone.mjs does not know`);
  return result;
}

try {
  console.log(`== fresh clone of ${repo} into ${clone}`);
  execFileSync('git', ['clone', '--quiet', repo, join(clone, 'tessera')], { stdio: 'inherit' });

  console.log('== README "Quick start"');
  const banner = await start(installAndStart, /-d password=\S+\n/, 15 * 60_000);
  run(help);
  const printedCurl = banner.slice(banner.indexOf('  curl')).replace(/\\\n\s*/g, '').split('\n')[0].trim();
  runCurl(printedCurl);
  await stop(servers.pop());

  console.log('== README "The four steps against Tessera"');
  await start(serve, /listening at https:/, 60_000);
  const answers = {};
  answers['apps create'] = JSON.parse(run(substitute(createApp, answers)));
  answers['request-token'] = JSON.parse(run(substitute(requestToken, answers)));
  answers['step 3'] = runCurl(substitute(convert, answers));
  answers['step 4'] = runCurl(substitute(refresh, answers));
  const me = runCurl(substitute(callApi, answers));
  if (typeof me !== 'object' || me === null) throw new Error('/profile/v1/me answered no profile');
  console.log('== the README works from a fresh clone');
} catch (error) {
  console.error(`== fresh clone check failed: ${error.message}`);
  process.exitCode = 1;
} finally {
  for (const child of servers) await stop(child).catch(() => {});
  rmSync(clone, { recursive: true, force: true });
}
