// dev helper: seed + start tessera on a port, print fixtures; stays up until killed
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { seedTessera } from './dist/seed.js';
const [alg = 'ES256', port = '18080', rotation = 'false'] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), 'dev-'));
const f = await seedTessera(dir, alg, Number(port), { companies: 200, refreshTokens: 200, accessTokens: 20 });
writeFileSync('/tmp/dev-fixtures.json', JSON.stringify(f));
const child = spawn('taskset', ['-c', '0', process.execPath, ...(process.env.NODE_ARGS ? process.env.NODE_ARGS.split(' ') : []), 'packages/cli/dist/bin.js', 'serve', '--no-seed', '--port', port, '--data-dir', dir],
  { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NODE_ENV: 'production', TESSERA_SIGNING_ALG: alg, TESSERA_REFRESH_ROTATION: rotation, TESSERA_REQUEST_TOKEN_MAX_USES: '100' } });
console.log(child.pid);
writeFileSync('/tmp/dev-pid', String(child.pid));
