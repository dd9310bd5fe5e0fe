import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { parseMountInfo } from '../../engine/source/mount-table.ts';
import { shellQuote } from '../../engine/shell-command.ts';
import {
  migrateArgs,
  P2V_BIN,
  startAgentProcess,
  type AgentProcess,
} from '../helpers/agent-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const asRoot = process.getuid?.() === 0;

/** Runs `p2v migrate` in a private mount namespace where `other` is bind-mounted into the source. */
async function migrateWithBindMount(
  agent: AgentProcess,
  source: string,
  other: string,
  extra: string[],
): Promise<{ code: number | null; events: Record<string, unknown>[] }> {
  const migrate = [process.execPath, P2V_BIN, ...migrateArgs(agent, source, extra)]
    .map(shellQuote)
    .join(' ');
  const script = `mount --bind ${shellQuote(other)} ${shellQuote(join(source, 'data/mnt'))} && exec ${migrate}`;
  const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const events: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('{')) events.push(JSON.parse(line) as Record<string, unknown>);
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, events };
}

describe('a filesystem mounted inside a source', () => {
  it('reads mount points from mountinfo, escapes and all', () => {
    const mounts = parseMountInfo(
      [
        '22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda1 rw',
        '42 22 0:45 / /srv/backup\\040disk rw,nosuid - nfs4 nas:/export rw,vers=4.2',
        '43 22 0:46 / /mnt/fuse rw - fuse.sshfs host:/ rw',
      ].join('\n'),
    );
    assert.deepEqual(mounts, [
      { path: '/', type: 'ext4', root: '/', source: '/dev/vda1', options: ['rw'] },
      {
        path: '/srv/backup disk',
        type: 'nfs4',
        root: '/',
        source: 'nas:/export',
        options: ['rw', 'vers=4.2'],
      },
      { path: '/mnt/fuse', type: 'fuse.sshfs', root: '/', source: 'host:/', options: ['rw'] },
    ]);
  });

  it(
    'is not crossed by default (its folder is kept and it is named), and is with --cross-mounts',
    { skip: asRoot ? false : 'needs root for a bind mount in a private namespace' },
    async () => {
      const base = await tempDir();
      const source = join(base, 'source');
      const other = join(base, 'other');
      await mkdir(join(source, 'data/mnt'), { recursive: true });
      await mkdir(other);
      await writeFile(join(source, 'data/a.txt'), 'on the source’s own filesystem\n');
      await writeFile(join(other, 'backup.tar'), 'someone else’s data\n');
      const agent = await startAgentProcess([
        '--root',
        join(base, 'target'),
        '--state',
        join(base, 'agent-state'),
      ]);
      try {
        const plain = await migrateWithBindMount(agent, source, other, [
          '--state',
          join(base, 'state'),
        ]);
        assert.equal(plain.code, 0);
        assert.ok(existsSync(join(base, 'target/data/a.txt')));
        assert.deepEqual(await readdir(join(base, 'target/data/mnt')), [], 'the folder, empty');
        const named = plain.events.find(
          (e) => e.type === 'warning' && String(e.message).includes(join(source, 'data/mnt')),
        );
        assert.match(
          String(named?.message),
          /another filesystem \((ext4|xfs|btrfs|tmpfs|overlay)\)/,
        );
      } finally {
        await agent.stop();
      }
      const again = await startAgentProcess([
        '--root',
        join(base, 'target-crossed'),
        '--state',
        join(base, 'agent-state-crossed'),
      ]);
      try {
        const crossed = await migrateWithBindMount(again, source, other, [
          '--state',
          join(base, 'state-crossed'),
          '--cross-mounts',
        ]);
        assert.equal(crossed.code, 0);
        assert.ok(existsSync(join(base, 'target-crossed/data/mnt/backup.tar')));
      } finally {
        await again.stop();
      }
    },
  );
});
