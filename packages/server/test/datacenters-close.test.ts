/**
 * Closing a server with several datacenter listeners (docs/operations.md): a request in flight on
 * a keep-alive connection is answered, and then the connection closes, on every listener, rather
 * than the close waiting for the client's keep-alive timeout.
 */
import { Agent, request } from 'node:http';
import { expect, it } from 'vitest';
import { startTestServer } from './helpers.js';

function getThrough(agent: Agent, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end();
  });
}

it('answers the requests in flight on every listener, then closes without waiting for keep-alive', async () => {
  const t = await startTestServer({ settings: { datacenters: 'us2=http://127.0.0.1:0,eu2=http://127.0.0.1:0', emulator: true } });
  const { us2, eu2 } = t.server.datacenters as { us2: string; eu2: string };
  // The requests are still in flight when the close starts.
  t.server.emulator!.addFault({ match: { path: '/readyz' }, effect: { type: 'delay', ms: 600 } });
  const agent = new Agent({ keepAlive: true });
  const answers = Promise.all([getThrough(agent, `${us2}/readyz`), getThrough(agent, `${eu2}/readyz`)]);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const started = Date.now();
  await t.close();
  expect(await answers).toEqual([200, 200]);
  // The keep-alive timeout is 72 s; answering took 0.6 s.
  expect(Date.now() - started).toBeLessThan(10_000);
  agent.destroy();
}, 120_000);
