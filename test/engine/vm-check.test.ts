import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { MigrationEvent } from '../../shared/events.ts';
import { checkAgainstSent } from '../../engine/migration/verify.ts';
import { SourceIndex } from '../../engine/record/source-index.ts';
import { AgentClient } from '../../engine/source/agent-client.ts';
import { migrateTo, startTestAgent } from '../helpers/migrate-in-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('the check of a VM’s files against what was sent', () => {
  it('finds what the target changed, not what the source changed since, and warms a cold agent’s checksum cache', async () => {
    const base = await tempDir();
    const source = join(base, 'source');
    const target = join(base, 'target');
    await mkdir(join(source, 'var/log'), { recursive: true });
    await mkdir(join(source, 'srv'), { recursive: true });
    await writeFile(join(source, 'var/log/wtmp'), 'the source’s login records\n');
    await writeFile(join(source, 'srv/data.db'), 'committed row 1\n');
    for (let i = 0; i < 20; i++) await writeFile(join(source, `srv/file-${i}`), `file ${i}\n`);
    const copier = await startTestAgent(target, join(base, 'copier-state'));
    const state = join(base, 'state');
    try {
      const { report } = await migrateTo(copier, source, state, { verify: 'cached' });
      assert.equal(report.ok, true, `copy failed: ${JSON.stringify(report.error)}`);
    } finally {
      await copier.close();
    }
    // A VM booted from an image of the copy: its agent never wrote these files, so its cache is
    // empty; its own boot changed one file, and the source has moved on in another.
    await writeFile(join(target, 'var/log/wtmp'), 'the VM’s boot record\n');
    await writeFile(join(source, 'srv/data.db'), 'committed row 1\ncommitted row 2\n');
    const vmState = join(base, 'vm-agent-state');
    const vmAgent = await startTestAgent(target, vmState);
    const client = await AgentClient.connect(vmAgent);
    try {
      const events: MigrationEvent[] = [];
      const index = await SourceIndex.open(state);
      const result = await checkAgainstSent(client, index, (event) => events.push(event));
      assert.equal(result.files, 22, 'every file was read');
      assert.deepEqual(
        result.mismatches.map((p) => Buffer.from(p, 'latin1').toString()),
        ['var/log/wtmp'],
        'only the file the VM changed differs; the source’s newer data is the rounds’ work',
      );
      const last = events.filter((e) => e.type === 'progress').at(-1);
      assert.equal(last?.type === 'progress' && last.phase, 'vm-check', 'progress is its own');
      assert.equal(last?.type === 'progress' && last.filesDone, 22, 'progress reached the end');
    } finally {
      await client.close();
      await vmAgent.close();
    }
    const cached = (await readFile(join(vmState, 'hash-cache.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as [string, unknown])[0]);
    assert.equal(new Set(cached).size, 22, 'the VM agent remembers a checksum for every file');
  });
});
