/**
 * Bundles the compiled server (dist/index.js) into one ES module, dist/bundle/index.js, which the
 * `tessera` CLI loads (`tessera-server/bundle`). On Node 20, resolving and compiling the ~400
 * files of Fastify, pino, zod and jose one by one was most of the time from `tessera serve` to
 * its first answer (docs/benchmarks.md, "Start"). The per-file dist stays the library entry point.
 *
 * - Native and optional drivers stay outside and are still loaded only when used.
 * - What the server never runs is left out: Fastify's JSON-schema compilers (the server passes
 *   its own, `http/no-route-schemas.ts`), `inject()`'s light-my-request, zod's non-English locales.
 *   The stubs throw if that ever changes.
 * - dist/bundle/ sits at the same depth as dist/http/, so `new URL('../../console/', import.meta.url)`
 *   finds the console files from both.
 * - The bundle also exports `startTessera` (dist/testing.js): the CLI tarball's `tessera-cli/testing`
 *   re-exports it from this one bundle (scripts/pack.mjs), so a published test server is the same
 *   server code as `tessera serve`, never a second copy.
 */
import { build } from 'esbuild';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const notBundled = (name) => `throw new Error(${JSON.stringify(`${name} is left out of the Tessera server bundle (packages/server/scripts/bundle.mjs)`)});`;

/** @type {import('esbuild').Plugin} */
const leaveOut = {
  name: 'leave-out',
  setup(b) {
    b.onResolve({ filter: /^(@fastify\/ajv-compiler|@fastify\/fast-json-stringify-compiler|light-my-request)$/ }, (args) => ({ path: args.path, namespace: 'left-out' }));
    b.onLoad({ filter: /.*/, namespace: 'left-out' }, (args) => ({ contents: notBundled(args.path), loader: 'js' }));
    // zod's classic API re-exports every locale; the server only ever uses the default (English).
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({ contents: "export { default as en } from './en.js';", loader: 'js', resolveDir: dirname(args.path) }));
  },
};

await build({
  stdin: {
    contents: "export * from './dist/index.js';\nexport { startTessera } from './dist/testing.js';\n",
    resolveDir: root,
    sourcefile: 'bundle-entry.js',
    loader: 'js',
  },
  outfile: `${root}dist/bundle/index.js`,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['better-sqlite3', 'pg', 'ioredis', 'selfsigned', 'nodemailer'],
  plugins: [leaveOut],
  // index.js.map: `node --enable-source-maps` then prints stack traces in the original files,
  // and the benchmark's profile summary charges time to them (bench/src/profile.ts).
  sourcemap: 'linked',
  sourcesContent: false,
  // Bundled CommonJS packages call require() for Node's built-ins; an ES module has none.
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  logLevel: 'warning',
});
