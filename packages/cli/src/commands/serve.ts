/** `tessera serve`: the token service, with demo data on an empty embedded store. */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { DemoSeed } from 'tessera-server';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the token service (embedded SQLite store; demo data on first start)')
    .option('--host <host>', 'address to listen on (TESSERA_HOST)', undefined)
    .option('--port <port>', 'port to listen on, 0 for any (TESSERA_PORT)', undefined)
    .option('--data-dir <dir>', 'store, server key and certificates (TESSERA_DATA_DIR)', undefined)
    .option('--database-url <url>', 'PostgreSQL instead of the embedded store, postgres://… (TESSERA_DATABASE_URL)', undefined)
    .option('--redis-url <url>', 'Redis for rate-limit counters shared by every node, redis://… (TESSERA_REDIS_URL)', undefined)
    .option('--geolocation <url>', 'this datacenter\'s base URL, the `iss` of its tokens (TESSERA_GEOLOCATION)', undefined)
    .option('--https', 'serve HTTPS with a self-signed certificate for localhost (TESSERA_HTTPS)')
    .option('--tls-cert <file>', 'PEM certificate (TESSERA_TLS_CERT)')
    .option('--tls-key <file>', 'PEM private key (TESSERA_TLS_KEY)')
    .option('--metrics-port <port>', 'serve Prometheus metrics at http://TESSERA_METRICS_HOST:PORT/metrics, off when absent (TESSERA_METRICS_PORT)', undefined)
    .option('--no-seed', 'do not create demo data on an empty store')
    .option('--emulator', 'emulator mode: a movable clock and faults on demand under /emulator/v0, unauthenticated, loopback only (TESSERA_EMULATOR)')
    .addHelpText('after', '\nEvery setting can also come from its TESSERA_* environment variable; see docs/configuration.md.')
    .action(async (options: Record<string, string | boolean | undefined>) => {
      const { createServer, loadSettings, seedDemoData } = await import('tessera-server/bundle');
      const settings = loadSettings({
        host: options.host as string | undefined,
        port: options.port as string | undefined,
        dataDir: options.dataDir as string | undefined,
        databaseUrl: options.databaseUrl as string | undefined,
        redisUrl: options.redisUrl as string | undefined,
        geolocation: options.geolocation as string | undefined,
        https: options.https === true ? true : undefined,
        tlsCert: options.tlsCert as string | undefined,
        tlsKey: options.tlsKey as string | undefined,
        seedDemo: options.seed === false ? false : undefined,
        metricsPort: options.metricsPort as string | undefined,
        emulator: options.emulator === true ? true : undefined,
      });
      const server = await createServer(settings);
      // Seeded before listening: nothing (a load balancer's /readyz included) gets an answer before the first-start data exists.
      const seed = settings.seedDemo ? await seedDemoData(server.core, { loginId: settings.adminUser, password: settings.adminPassword }) : undefined;
      const url = await server.listen();
      const lines = [`Tessera token service listening at ${url} (geolocation ${server.core.geolocation()})`, `  store: ${settings.databaseUrl ? 'PostgreSQL' : `SQLite in data dir ${settings.dataDir}`}; rate-limit counters: ${settings.redisUrl ? 'Redis (shared by every node)' : 'in this process'}`,
        `  admin console: ${url}/admin`, ...(server.metricsUrl ? [`  metrics: ${server.metricsUrl}`] : [])];
      if (settings.emulator) lines.push(...emulatorLines(url));
      if (url.startsWith('https:')) {
        // The CLI and Node trust a self-signed certificate only when told where it is.
        const certificate = settings.tlsCert ? resolve(settings.tlsCert) : join(resolve(settings.dataDir), 'localhost-cert.pem');
        lines.push(`  certificate: ${certificate}${settings.tlsCert ? '' : ' (self-signed)'}`,
          `    trust it with \`tessera --ca ${certificate} …\` or NODE_EXTRA_CA_CERTS=${certificate}`);
      }
      if (seed) lines.push('', ...firstStartLines(seed, url));
      else if (settings.seedDemo) lines.push('', ...laterStartLines(storeOptions(options)));
      // The banner (with the demo secrets of a first start) goes to stderr: stdout carries only
      // the JSON log lines, and no secret is ever a log line.
      process.stderr.write(`${lines.join('\n')}\n`);
      const stop = (signal: string) => {
        server.core.log.info({ signal }, 'stopping');
        server.close().then(() => process.exit(0), () => process.exit(1));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}

/** The emulator mode warning of the banner: what it offers, and that anyone reaching it can use it. */
export function emulatorLines(url: string): string[] {
  return [
    `  EMULATOR MODE: movable clock ${url}/emulator/v0/clock, faults ${url}/emulator/v0/faults (\`tessera emulator …\`)`,
    '    these routes are unauthenticated: never expose this server to a network you do not control',
  ];
}

/** What a first start shows once: the demo credentials and the step-3 `curl`, ready to run as printed. */
export function firstStartLines(seed: DemoSeed, url: string): string[] {
  return [
    'First start: demo data created. These values are shown only now:',
    `  company "${seed.companyName}"   companyUUID   ${seed.companyId}`,
    `  administrator login id        ${seed.adminLoginId}`,
    ...(seed.generatedAdminPassword ? [`  administrator password        ${seed.generatedAdminPassword}`] : []),
    `  app "${seed.app.name}"   clientId      ${seed.app.clientId}`,
    `                                clientSecret  ${seed.app.clientSecret}`,
    `  company request token         ${seed.requestToken.requestToken}  (until ${seed.requestToken.expiresAt})`,
    '', 'Convert the request token into a refresh token (step 3), once:',
    `  curl${url.startsWith('https') ? ' -k' : ''} -X POST ${url}/oauth2/v0/token -d grant_type=password -d credtype=authtoken \\`,
    `    -d client_id=${seed.app.clientId} -d client_secret=${seed.app.clientSecret} \\`,
    `    -d username=${seed.companyId} -d password=${seed.requestToken.requestToken}`,
  ];
}

/**
 * What a later start shows: the demo secrets exist only as digests now, so it says how to get
 * new ones. `storeFlags` names the store the way this `serve` was told (never a database URL,
 * which may hold a password).
 */
export function laterStartLines(storeFlags: string): string[] {
  return [
    'The demo data of the first start is in this store; its secrets were shown only then.',
    `  client ids of the apps:         npx tessera admin${storeFlags} apps list`,
    `  a new company request token:    npx tessera admin${storeFlags} request-token --client-id <clientId>`,
    '  a new client secret:            App Details → Client Secrets in the admin console',
  ];
}

/** The store flags a `tessera admin` command needs to reach the store `serve` was pointed at by flags. */
function storeOptions(options: Record<string, string | boolean | undefined>): string {
  if (options.databaseUrl) return ' --database-url <the same URL>';
  if (typeof options.dataDir === 'string') return ` --data-dir ${/^[\w./-]+$/.test(options.dataDir) ? options.dataDir : JSON.stringify(options.dataDir)}`;
  return '';
}
