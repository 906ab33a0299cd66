/**
 * Moves SQLite's WAL checkpoints off the event loop. By default the connection that commits the
 * transaction which fills the WAL past 1,000 pages copies them into the database file and fsyncs
 * it, inside that request: at a thousand rotating refreshes a second that is several stalls a
 * second, and they made the p99 latency (docs/benchmarks.md, "Latency"). A worker thread with its
 * own connection checkpoints passively (it never blocks the server's reads or writes) every
 * `intervalMs`; the server's own connection keeps a much higher threshold as a backstop, and its
 * rare checkpoint then has little left to copy and lets the WAL start over from the beginning.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** Pages in the WAL before the server's own connection checkpoints (about 16 MB). */
export const backstopCheckpointPages = 4000;

// CommonJS, evaluated in the worker: the bundle has no separate file to point a Worker at.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message || error) });
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(file: string, intervalMs: number, onError: (message: string) => void): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(workerSource, { eval: true, workerData: { file, driver, intervalMs } });
  worker.on('message', (m: { error?: string }) => m.error && onError(m.error));
  worker.on('error', (error) => onError(error.message));
  // The worker never keeps the process alive on its own.
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async stop() {
      // Held while it stops: otherwise a process with nothing else to do exits before the
      // worker does, and whatever awaits close() never runs.
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
