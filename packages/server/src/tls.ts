/** TLS material: given files, or a self-signed certificate for localhost kept in the data dir (`--https`). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDataDir, restrictToOwner, writePrivateFile } from './data-dir.js';

export interface TlsMaterial {
  cert: string;
  key: string;
}

export async function loadTls(settings: { https: boolean; tlsCert?: string | undefined; tlsKey?: string | undefined; dataDir: string }): Promise<TlsMaterial | undefined> {
  if (settings.tlsCert || settings.tlsKey) {
    if (!settings.tlsCert || !settings.tlsKey) throw new Error('--tls-cert and --tls-key go together');
    return { cert: readFileSync(settings.tlsCert, 'utf8'), key: readFileSync(settings.tlsKey, 'utf8') };
  }
  if (!settings.https) return undefined;
  return ensureSelfSignedCertificate(settings.dataDir);
}

/** A certificate for localhost, 127.0.0.1 and ::1, created once and reused. */
export async function ensureSelfSignedCertificate(dataDir: string): Promise<TlsMaterial> {
  const certFile = join(dataDir, 'localhost-cert.pem');
  const keyFile = join(dataDir, 'localhost-key.pem');
  try {
    const material = { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
    for (const file of [keyFile, certFile]) restrictToOwner(file);
    return material;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  ensureDataDir(dataDir);
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
    ],
  });
  writePrivateFile(keyFile, pems.private);
  writePrivateFile(certFile, pems.cert);
  return { cert: pems.cert, key: pems.private };
}
