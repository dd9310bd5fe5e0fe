import assert from 'node:assert/strict';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { mkdir, open, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { runMigration } from '../../engine/migration/migrate.ts';
import { startAgentProcess, type AgentProcess } from '../helpers/agent-process.ts';
import { freePort } from '../../engine/net/free-port.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { diffSnapshots, snapshotTree } from '../helpers/tree-snapshot.ts';

/** `AGENT_CRASH_TRIALS=300 npm run soak` runs hundreds. */
const TRIALS = Number(process.env.AGENT_CRASH_TRIALS ?? 20);
const BIG_FILES = 6;

async function fileHashes(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(join(dir, entry.name), path);
      else if (entry.isFile()) {
        out.set(
          path,
          createHash('sha256')
            .update(await readFile(join(dir, entry.name)))
            .digest('hex'),
        );
      }
    }
  };
  await walk(root, '');
  return out;
}

/** Rewrites random blocks, appends, truncates and replaces small files: a round's worth of change. */
async function mutate(source: string): Promise<void> {
  for (let i = 0; i < BIG_FILES; i++) {
    const file = await open(join(source, `big-${i}.bin`), 'r+');
    const { size } = await file.stat();
    for (let k = 0; k < 8; k++) {
      await file.write(randomBytes(4096), 0, 4096, randomInt(Math.max(1, size - 4096)));
    }
    if (i === 0) await file.write(randomBytes(100_000), 0, 100_000, size);
    await file.close();
  }
  const { size } = await stat(join(source, 'big-1.bin'));
  if (size > 1024 * 1024) await truncate(join(source, 'big-1.bin'), size - randomInt(1, 50_000));
  for (let i = 0; i < 20; i += 3)
    await writeFile(join(source, 'small', `s${i}.txt`), randomBytes(randomInt(1, 9000)));
}

describe('the agent killed at random moments while it applies changes', () => {
  it(`never leaves a torn file, and every resume ends with identical trees (${TRIALS} trials)`, async (t) => {
    const base = await tempDir();
    const source = join(base, 'source');
    const target = join(base, 'target');
    await mkdir(join(source, 'small'), { recursive: true });
    for (let i = 0; i < BIG_FILES; i++)
      await writeFile(join(source, `big-${i}.bin`), randomBytes(2 * 1024 * 1024));
    for (let i = 0; i < 20; i++)
      await writeFile(join(source, 'small', `s${i}.txt`), randomBytes(1000 + i));
    const port = await freePort();
    const agentArgs = [
      '--root',
      target,
      '--state',
      join(base, 'agent-state'),
      '--listen',
      `127.0.0.1:${port}`,
    ];
    let agent: AgentProcess = await startAgentProcess(agentArgs);
    let killsMidTransfer = 0;
    let inPlaceRecoveries = 0;

    for (let trial = 0; trial < TRIALS; trial++) {
      if (trial > 0) {
        // Each trial is a new migration onto an agent that handed the last one over: a choice.
        await agent.stop();
        agent = await startAgentProcess([...agentArgs, '--accept-new-migration']);
      }
      const before = await fileHashes(target);
      if (trial > 0) await mutate(source);
      const after = await fileHashes(source);
      let restarted: () => void = () => undefined;
      const agentBack = new Promise<void>((resolve) => (restarted = resolve));
      let copyStarted: () => void = () => undefined;
      const copying = new Promise<void>((resolve) => (copyStarted = resolve));
      const migration = runMigration({
        sources: [{ dir: source, target: '' }],
        excludes: [],
        useDefaultExcludes: false,
        target: { host: '127.0.0.1', port, token: agent.token, fingerprint: agent.fingerprint },
        stateDir: join(base, `state-${trial}`),
        stopCommand: null,
        rollbackCommand: null,
        verify: 'full',
        thresholdBytes: 0,
        downtimeTargetMs: 0,
        maxRounds: 2,
        minRounds: 1,
        confirmCutover: () => Promise.resolve(true),
        emit: (event) => {
          if (event.type === 'phase' && event.phase === 'copy') copyStarted();
        },
        backoff: () => agentBack,
      });
      await copying;
      // The moment of the kill is random by design: any instant must leave old or new files.
      await delay(randomInt(0, 120));
      const wasDone = agent.child.exitCode !== null;
      agent.child.kill('SIGKILL');
      await new Promise((resolve) => agent.child.once('exit', resolve));
      assert.equal(wasDone, false);

      // A file changed in place is whole again once the agent starts (it finishes or drops the
      // journal before it listens); the migration resumes only after this look.
      agent = await startAgentProcess(agentArgs);
      const recovered = agent.events.find((e) => e.event === 'listening')?.inPlaceRecovered as
        { replayed: number; dropped: number } | undefined;
      inPlaceRecoveries += (recovered?.replayed ?? 0) + (recovered?.dropped ?? 0);
      const now = await fileHashes(target);
      for (const [path, hash] of now) {
        if (path.includes('.p2v-')) continue;
        const ok = hash === before.get(path) || hash === after.get(path);
        assert.ok(ok, `trial ${trial}: ${path} is neither the old nor the new version`);
      }
      if ([...now].some(([path, hash]) => !path.includes('.p2v-') && hash !== after.get(path)))
        killsMidTransfer++;
      restarted();
      const report = await migration;
      assert.equal(report.ok, true, `trial ${trial} resumed to the end`);
      const problems = diffSnapshots(await snapshotTree(source), await snapshotTree(target), {
        ignore: ['mtimeUs'],
      });
      assert.deepEqual(problems, [], `trial ${trial}: trees identical after resume`);
      const leftovers = [...(await fileHashes(target)).keys()].filter((p) => p.includes('.p2v-'));
      assert.deepEqual(leftovers, [], 'no temp file is left once the agent restarted and finished');
    }
    t.diagnostic(
      `${killsMidTransfer} of ${TRIALS} kills left the target between versions; ${inPlaceRecoveries} in-place journals finished or dropped at restarts`,
    );
    assert.ok(
      killsMidTransfer >= TRIALS / 4,
      'enough kills landed while changes were being applied',
    );
    await agent.stop();
  });
});
