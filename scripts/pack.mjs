/**
 * `npm run pack`: the two installable tarballs, in dist/npm/ —
 *
 * - tessera-cli-VERSION.tgz, the `tessera` command (`npm i -g dist/npm/tessera-cli-*.tgz`);
 * - tessera-client-VERSION.tgz, the SDK (`npm i ./tessera-client-*.tgz` in a project).
 *
 * tessera-server and tessera-protocol are workspace libraries, not published, so neither tarball
 * may depend on them by name:
 *
 * - The CLI is bundled with esbuild (its own code, tessera-client, tessera-protocol) into
 *   dist/bin.js; the server is the bundle `npm run build` already makes (dist/server/index.js,
 *   which `import('tessera-server/bundle')` is pointed at), loaded only by server commands, so
 *   the client commands still run where better-sqlite3 cannot load. The console files sit at
 *   console/, where the server bundle looks for them (`../../console/` from dist/server/).
 *   Third-party modules the bundles leave out (commander, better-sqlite3, pg, ioredis,
 *   selfsigned, nodemailer) are real dependencies.
 * - The CLI tarball also exports `tessera-cli/testing` (`startTessera`, docs/six-months-in-a-minute.md;
 *   `tessera-server/testing` in the repository): dist/testing.js re-exports it from the same server
 *   bundle (which exports it, packages/server/scripts/bundle.mjs), so there is one copy of the
 *   server; its types are the self-contained packages/cli/testing.d.ts, as the bundle has no
 *   per-file declarations to point to.
 * - The SDK keeps its per-file dist and carries tessera-protocol as a bundled dependency
 *   (npm's `bundleDependencies`), so its types resolve in the installing project as they do here.
 *
 * Run after `npm run build` (the npm script does both).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'dist/npm');
const readJson = (path) => JSON.parse(readFileSync(join(root, path), 'utf8'));
const writeJson = (path, value) => writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
const noBuildInfo = (source) => !source.endsWith('.tsbuildinfo');

/** The fields every published package.json carries over from its workspace one. */
function publishedFields(pkg) {
  const { name, version, description, license, type, engines } = pkg;
  return { name, version, description, license, type, engines, repository: rootPkg.repository, homepage: rootPkg.homepage };
}

/** Runs `npm pack` in `dir` into dist/npm/ and answers the tarball's file name. */
function npmPack(dir) {
  const [result] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', out], { cwd: dir, encoding: 'utf8' }));
  return result.filename;
}

const rootPkg = readJson('package.json');
const cliPkg = readJson('packages/cli/package.json');
const clientPkg = readJson('packages/client/package.json');
const protocolPkg = readJson('packages/protocol/package.json');
const serverPkg = readJson('packages/server/package.json');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const stage = mkdtempSync(join(tmpdir(), 'tessera-pack-'));

try {
  // --- tessera-cli ---
  const cli = join(stage, 'cli');
  /** @type {import('esbuild').Plugin} */
  const serverBundle = {
    name: 'server-bundle',
    setup(b) {
      // Left as a dynamic import of the copied server bundle: it loads only for server commands.
      b.onResolve({ filter: /^tessera-server\/bundle$/ }, () => ({ path: './server/index.js', external: true }));
      b.onResolve({ filter: /^tessera-server$/ }, (args) => ({ errors: [{ text: `${args.importer} imports tessera-server at run time; use tessera-server/bundle` }] }));
    },
  };
  await build({
    entryPoints: [join(root, 'packages/cli/dist/bin.js')],
    outfile: join(cli, 'dist/bin.js'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: Object.keys(cliPkg.dependencies).filter((name) => !name.startsWith('tessera-')),
    plugins: [serverBundle],
    logLevel: 'warning',
  });
  // Without its map: the map has no sources to point to outside the repository.
  cpSync(join(root, 'packages/server/dist/bundle'), join(cli, 'dist/server'), { recursive: true, filter: (source) => !source.endsWith('.map') });
  cpSync(join(root, 'packages/server/console'), join(cli, 'console'), { recursive: true });
  cpSync(join(root, 'packages/cli/bin'), join(cli, 'bin'), { recursive: true });
  writeFileSync(join(cli, 'dist/testing.js'), [
    '// `tessera-cli/testing`: startTessera from the server bundle the `tessera` command runs (docs/six-months-in-a-minute.md).',
    "export { startTessera } from './server/index.js';", '',
  ].join('\n'));
  cpSync(join(root, 'packages/cli/testing.d.ts'), join(cli, 'dist/testing.d.ts'));
  const serverRuntime = ['better-sqlite3', 'pg', 'ioredis', 'selfsigned', 'nodemailer'];
  writeJson(join(cli, 'package.json'), {
    ...publishedFields(cliPkg),
    bin: cliPkg.bin,
    // Only the test server is importable; the `tessera` bin is not an export (npm links it from "bin").
    exports: {
      './testing': { types: './dist/testing.d.ts', default: './dist/testing.js' },
      './package.json': './package.json',
    },
    files: ['bin', 'dist', 'console'],
    dependencies: {
      ...Object.fromEntries(Object.entries(cliPkg.dependencies).filter(([name]) => !name.startsWith('tessera-'))),
      ...Object.fromEntries(serverRuntime.map((name) => [name, serverPkg.dependencies[name]])),
    },
  });
  cpSync(join(root, 'LICENSE'), join(cli, 'LICENSE'));
  writeFileSync(join(cli, 'README.md'), [
    '# tessera-cli', '', cliPkg.description, '',
    '```sh', 'npm i -g tessera-cli-*.tgz', 'tessera serve          # the token service, demo data on first start', 'tessera --help', '```', '',
    'See docs/toolkit.md and docs/configuration.md in the Tessera repository.', '',
  ].join('\n'));

  // --- tessera-client ---
  const client = join(stage, 'client');
  cpSync(join(root, 'packages/client/dist'), join(client, 'dist'), { recursive: true, filter: noBuildInfo });
  cpSync(join(root, 'packages/client/README.md'), join(client, 'README.md'));
  cpSync(join(root, 'LICENSE'), join(client, 'LICENSE'));
  const bundledProtocol = join(client, 'node_modules/tessera-protocol');
  cpSync(join(root, 'packages/protocol/dist'), join(bundledProtocol, 'dist'), { recursive: true, filter: noBuildInfo });
  cpSync(join(root, 'LICENSE'), join(bundledProtocol, 'LICENSE'));
  writeJson(join(bundledProtocol, 'package.json'), { ...publishedFields(protocolPkg), main: protocolPkg.main, types: protocolPkg.types, exports: protocolPkg.exports, files: ['dist'] });
  writeJson(join(client, 'package.json'), {
    ...publishedFields(clientPkg),
    main: clientPkg.main,
    types: clientPkg.types,
    exports: clientPkg.exports,
    files: ['dist'],
    dependencies: clientPkg.dependencies,
    bundleDependencies: ['tessera-protocol'],
  });

  for (const dir of [cli, client]) console.log(`dist/npm/${npmPack(dir)}`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
