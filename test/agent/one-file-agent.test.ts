import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureAgentBinary } from '../../scripts/build-agent.js';
import { AgentClient } from '../../engine/source/agent-client.ts';
import { startAgentProcess, type AgentProcess } from '../helpers/agent-process.ts';
import { migrateTo } from '../helpers/migrate-in-process.ts';
import { createSampleTree } from '../helpers/sample-tree.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { diffSnapshots, snapshotTree } from '../helpers/tree-snapshot.ts';

describe('the one-file agent (a Node single executable application)', () => {
  let base: string;
  let binary: string;
  let agent: AgentProcess;

  before(async () => {
    base = await tempDir();
    binary = await ensureAgentBinary();
    await createSampleTree(join(base, 'source'));
    agent = await startAgentProcess(
      [
        '--root',
        join(base, 'target'),
        '--state',
        join(base, 'agent-state'),
        '--listen',
        '127.0.0.1:0',
      ],
      [binary],
    );
  });
  after(() => agent?.stop());

  it('explains itself with --help and --version', () => {
    const help = execFileSync(binary, ['--help'], { encoding: 'utf8' });
    for (const option of [
      '--root',
      '--listen',
      '--state',
      '--on-handover',
      '--exit-after-handover',
    ])
      assert.ok(help.includes(option), `--help names ${option}`);
    assert.match(execFileSync(binary, ['--version'], { encoding: 'utf8' }), /^\d+\.\d+\.\d+/);
  });

  it('takes a whole migration, with its native hashing loaded from inside the file', async () => {
    const { report } = await migrateTo(agent, join(base, 'source'), join(base, 'state'));
    assert.equal(report.ok, true, JSON.stringify(report.error));
    assert.equal(
      report.verification?.ok,
      true,
      'full verification compared XXH3-128 on both sides',
    );
    const source = await snapshotTree(join(base, 'source'));
    const target = await snapshotTree(join(base, 'target'));
    for (const [path, entry] of source) if (entry.kind === 'other') source.delete(path);
    assert.deepEqual(diffSnapshots(source, target), []);
  });

  it('describes its machine (the built-in profiles travel inside the file)', async () => {
    const client = await AgentClient.connect(agent);
    try {
      const described = await client.request<'described'>({ t: 'describe' });
      assert.equal(described.machine.os.type, 'linux');
      assert.ok(described.root.totalBytes > 0, 'the root filesystem was measured');
    } finally {
      await client.close();
    }
  });

  it('refuses bad options with a clear message and exit code 2', () => {
    try {
      execFileSync(binary, ['--listen', 'nowhere'], { encoding: 'utf8', stdio: 'pipe' });
      assert.fail('the agent started without --root');
    } catch (error) {
      const failed = error as { status: number; stderr: string };
      assert.equal(failed.status, 2, 'exit code 2 for a usage error');
      assert.match(failed.stderr, /--root/, 'the message names the missing option');
    }
  });
});
