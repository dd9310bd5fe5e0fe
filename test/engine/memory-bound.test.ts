import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { migrateArgs, P2V_BIN, startAgentProcess } from '../helpers/agent-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const FILE_BYTES = 3 * 1024 ** 3;
/** Stated bound for each process: Node and the TypeScript loader take about 100 MiB of it. */
const RSS_BOUND = 256 * 1024 ** 2;

async function writeBigFile(path: string): Promise<void> {
  const chunk = randomBytes(64 * 1024 * 1024);
  const file = await open(path, 'w');
  for (let offset = 0; offset < FILE_BYTES; offset += chunk.length) {
    // A different first word per chunk keeps chunks from being identical.
    chunk.writeUInt32BE(offset / chunk.length, 0);
    await file.write(chunk, 0, chunk.length, offset);
  }
  await file.close();
}

function migrateCli(args: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [P2V_BIN, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let finished: Record<string, unknown> | null = null;
    createInterface({ input: child.stdout }).on('line', (line) => {
      const event = JSON.parse(line) as Record<string, unknown>;
      if (event.event === 'finished') finished = event;
    });
    child.once('exit', (code) =>
      code === 0 && finished ? resolve(finished) : reject(new Error(`migrate exited ${code}`)),
    );
  });
}

describe('memory stays bounded however large the data', () => {
  it(`copies and re-syncs a ${FILE_BYTES / 1024 ** 3} GiB file with each process under ${RSS_BOUND / 1024 ** 2} MiB peak RSS`, async (t) => {
    const base = await tempDir();
    const source = join(base, 'source');
    await mkdir(source);
    await writeBigFile(join(source, 'disk.img'));
    const agentArgs = ['--root', join(base, 'target'), '--state', join(base, 'agent-state')];
    const agent = await startAgentProcess(agentArgs);
    const first = await migrateCli(
      migrateArgs(agent, source, ['--state', join(base, 'state-1'), '--max-rounds', '1']),
    );
    const file = await open(join(source, 'disk.img'), 'r+');
    for (let i = 0; i < 64; i++)
      await file.write(randomBytes(4096), 0, 4096, Math.floor((FILE_BYTES / 64) * i));
    await file.close();
    // A new agent session for the second window, after the first one handed over.
    await agent.stop();
    const exit = agent.events.find((e) => e.event === 'exit');
    const again = await startAgentProcess([...agentArgs, '--accept-new-migration']);
    const second = await migrateCli(
      migrateArgs(again, source, ['--state', join(base, 'state-2'), '--max-rounds', '1']),
    );
    await again.stop();
    const exitAgain = again.events.find((e) => e.event === 'exit');
    const peaks = {
      sourceCopy: Number(first.peakRssBytes),
      sourceResync: Number(second.peakRssBytes),
      agentCopy: Number(exit?.peakRssBytes),
      agentResync: Number(exitAgain?.peakRssBytes),
    };
    t.diagnostic(
      `peak RSS MiB: ${JSON.stringify(Object.fromEntries(Object.entries(peaks).map(([k, v]) => [k, Math.round(v / 1024 ** 2)])))}`,
    );
    for (const [name, peak] of Object.entries(peaks)) {
      assert.ok(Number.isFinite(peak) && peak > 0, `${name} reported its peak`);
      assert.ok(peak < RSS_BOUND, `${name} peaked at ${Math.round(peak / 1024 ** 2)} MiB`);
    }
  });
});
