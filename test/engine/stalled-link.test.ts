import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import type { MigrationReport } from '../../shared/report.ts';
import { migrateArgs, P2V_BIN, startAgentProcess } from '../helpers/agent-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { diffSnapshots, snapshotTree } from '../helpers/tree-snapshot.ts';

/**
 * A TCP forward to `port` whose first connection goes dead once `afterBytes` went through it:
 * from then on it takes bytes from both sides and passes none on, and sends neither a FIN nor a
 * reset. What a dropped WAN link or a stalled VM port forward looks like to both ends.
 */
async function forwardThatStalls(port: number, afterBytes: number) {
  const sockets: Socket[] = [];
  let connections = 0;
  let stalled = false;
  const server = createServer((near) => {
    const first = connections++ === 0;
    const far = connect(port, '127.0.0.1');
    sockets.push(near, far);
    let forwarded = 0;
    const dead = (): boolean => first && forwarded >= afterBytes;
    const pass = (to: Socket) => (chunk: Buffer) => {
      if (dead()) {
        stalled = true;
        return;
      }
      forwarded += chunk.length;
      to.write(chunk);
    };
    near.on('data', pass(far));
    far.on('data', pass(near));
    // A dead link carries no close either: each end finds out on its own.
    const hangUp = (other: Socket) => () => {
      if (!dead()) other.destroy();
    };
    near.on('error', hangUp(far));
    far.on('error', hangUp(near));
    near.on('close', hangUp(far));
    far.on('close', hangUp(near));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    get stalled() {
      return stalled;
    },
    get connections() {
      return connections;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

describe(
  'the link to the agent going silent in the middle of the copy',
  { timeout: 120_000 },
  () => {
    it('is noticed on both ends, reconnected, and the copy finishes whole', async () => {
      const base = await tempDir();
      const source = join(base, 'source');
      await mkdir(source, { recursive: true });
      for (let i = 0; i < 24; i++) await writeFile(join(source, `f${i}`), randomBytes(1024 * 1024));
      const agent = await startAgentProcess([
        '--root',
        join(base, 'target'),
        '--state',
        join(base, 'agent-state'),
        '--io-timeout',
        '1',
      ]);
      const forward = await forwardThatStalls(agent.port, 6 * 1024 * 1024);
      try {
        const migrate = spawn(
          process.execPath,
          [
            P2V_BIN,
            ...migrateArgs({ ...agent, port: forward.port }, source, [
              '--state',
              join(base, 'state'),
              '--report',
              join(base, 'report'),
              // Longer than the agent's: the agent must find the dead link on its own before
              // the source reconnects, whose new session would otherwise end the old one first
              // (seen when the VM boot test ran beside this one and slowed the agent).
              '--io-timeout',
              '3',
            ]),
          ],
          { stdio: ['ignore', 'pipe', 'inherit'] },
        );
        const reconnects: string[] = [];
        createInterface({ input: migrate.stdout }).on('line', (line) => {
          const event = JSON.parse(line) as {
            type?: string;
            reason?: string;
            error?: { code: string };
          };
          if (event.type === 'reconnect') reconnects.push(`${event.error?.code}: ${event.reason}`);
        });
        const [code] = (await once(migrate, 'exit')) as [number];
        assert.equal(code, 0, 'the migration finished');
        assert.ok(forward.stalled, 'the first connection went silent mid-copy');
        assert.ok(forward.connections >= 2, 'the source connected again');
        assert.ok(
          reconnects.some((r) =>
            /^CONNECTION_LOST: .*nothing came from the agent at 127\.0\.0\.1:\d+ for 3 s/.test(r),
          ),
          `the technician is told why: ${reconnects.join(' | ')}`,
        );
        // The agent ended the dead session on its own, so its half-received file was cleaned up.
        const lost = await agent.waitForEvent('connection-lost');
        assert.match(String(lost.message), /nothing came from the source for 1 s/);
        const report = JSON.parse(
          await readFile(join(base, 'report/report.json'), 'utf8'),
        ) as MigrationReport;
        assert.equal(report.ok, true);
        assert.deepEqual(
          diffSnapshots(await snapshotTree(source), await snapshotTree(join(base, 'target'))),
          [],
        );
      } finally {
        forward.close();
        await agent.stop();
      }
    });
  },
);
