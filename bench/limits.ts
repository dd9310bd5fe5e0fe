import { randomBytes } from 'node:crypto';
import { open, readdir } from 'node:fs/promises';
import { createServer as createTcpServer, connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect, createServer as createTlsServer } from 'node:tls';
import { loadOrCreateIdentity } from '../engine/agent/identity.ts';
import { blockHash } from '../engine/checksum/block-checksums.ts';

const MiB = 1024 * 1024;

/** Page-cache read speed over a tree, in MiB/s: the ceiling for reading the source. */
export async function readSpeed(root: string): Promise<number> {
  const buffer = Buffer.allocUnsafe(MiB);
  let bytes = 0;
  const started = performance.now();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) {
        const file = await open(path, 'r');
        for (;;) {
          const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
          if (bytesRead === 0) break;
          bytes += bytesRead;
        }
        await file.close();
      }
    }
  };
  await walk(root);
  return bytes / MiB / ((performance.now() - started) / 1000);
}

/** Hashing speed of the block hash (XXH3-128) per 4 KiB block, in MiB/s. */
export function blockHashSpeed(): number {
  const data = randomBytes(256 * MiB);
  const started = performance.now();
  for (let offset = 0; offset < data.length; offset += 4096) {
    blockHash(data.subarray(offset, offset + 4096));
  }
  return 256 / ((performance.now() - started) / 1000);
}

/** Loopback throughput of plain TCP or TLS 1.3 between two sockets in this process, in MiB/s. */
export async function loopbackSpeed(
  kind: 'tcp' | 'tls',
  stateDir: string,
  totalMiB = 1024,
): Promise<number> {
  const identity = await loadOrCreateIdentity(stateDir);
  const chunk = randomBytes(256 * 1024);
  const total = totalMiB * MiB;
  return new Promise((resolve, reject) => {
    let received = 0;
    let started = 0;
    const onSocket = (socket: NodeJS.ReadableStream & { destroy(): void }): void => {
      socket.on('data', (data: Buffer) => {
        received += data.length;
        if (received >= total) {
          const seconds = (performance.now() - started) / 1000;
          socket.destroy();
          server.close();
          resolve(totalMiB / seconds);
        }
      });
    };
    const server =
      kind === 'tls'
        ? createTlsServer(
            { key: identity.key, cert: identity.cert, minVersion: 'TLSv1.3' },
            onSocket,
          )
        : createTcpServer(onSocket);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const client =
        kind === 'tls'
          ? tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false })
          : tcpConnect({ host: '127.0.0.1', port });
      client.once(kind === 'tls' ? 'secureConnect' : 'connect', () => {
        started = performance.now();
        let sent = 0;
        const pump = (): void => {
          while (sent < total) {
            sent += chunk.length;
            if (!client.write(chunk)) return void client.once('drain', pump);
          }
        };
        pump();
      });
      client.on('error', reject);
    });
  });
}
