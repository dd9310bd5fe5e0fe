import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { chmod, chown, mkdir, open, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { KnownHashes } from '../../engine/record/known-hashes.ts';
import { renderReportHtml } from '../../engine/report/report-html.ts';
import {
  assertSameFiles,
  migrateTo,
  rewriteKeepingTimes,
  startTestAgent,
} from '../helpers/migrate-in-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** Runs `work` while recording every file the process opens synchronously below `under`. */
async function filesOpenedBelow(under: string, work: () => Promise<void>): Promise<Set<string>> {
  const opened = new Set<string>();
  const original = fs.openSync;
  fs.openSync = ((path: fs.PathLike, ...rest: unknown[]) => {
    const name = String(path);
    if (name.startsWith(`${under}/`)) opened.add(name.slice(under.length + 1));
    return (original as (...args: unknown[]) => number)(path, ...rest);
  }) as typeof fs.openSync;
  syncBuiltinESMExports();
  try {
    await work();
  } finally {
    fs.openSync = original;
    syncBuiltinESMExports();
  }
  return opened;
}

/** Puts a file's times an hour back, so no read of it is racy (modified within a tick of it). */
const settle = (path: string): Promise<void> => {
  const past = new Date(Date.now() - 3600_000);
  return utimes(path, past, past);
};

describe('a new migration of a machine an earlier migration read', () => {
  it('reads on the source only the files whose stat moved or whose copy differs, and the target ends whole', async () => {
    const base = await tempDir();
    const source = join(base, 'source');
    const target = join(base, 'target');
    const small = Array.from({ length: 120 }, (_, i) => `d${i % 4}/f${i}.dat`);
    const big = ['big/same.img', 'big/changed.img'];
    for (let d = 0; d < 4; d++) await mkdir(join(source, `d${d}`), { recursive: true });
    await mkdir(join(source, 'big'));
    for (const name of small) await writeFile(join(source, name), randomBytes(200 + name.length));
    for (const name of big) await writeFile(join(source, name), randomBytes(3 * 1024 * 1024));
    for (const name of [...small, ...big]) await settle(join(source, name));

    let agent = await startTestAgent(target, join(base, 'agent-state'));
    try {
      const first = await migrateTo(agent, source, join(base, 'state-1'), { verify: 'cached' });
      assert.equal(first.report.ok, true);
      assert.equal(first.report.copy?.known, undefined, 'nothing was known before the first');
      await agent.close();

      // On the source: a small file and one block of a big file rewritten, a file added.
      await writeFile(join(source, 'd1/f1.dat'), randomBytes(200 + 'd1/f1.dat'.length));
      const handle = await open(join(source, 'big/changed.img'), 'r+');
      await handle.write(randomBytes(4096), 0, 4096, 1024 * 1024);
      await handle.close();
      await writeFile(join(source, 'd2/new.dat'), 'a new file\n');
      // On the target, behind the agent's back: a copy rewritten at its size and times, which
      // the source's unchanged stat cannot tell; only the agent's checksum of its copy can.
      await rewriteKeepingTimes(join(target, 'd3/f3.dat'));

      agent = await startTestAgent(target, join(base, 'agent-state'), null, {
        acceptNewMigration: true,
      });
      let second: Awaited<ReturnType<typeof migrateTo>> | undefined;
      const opened = await filesOpenedBelow(source, async () => {
        second = await migrateTo(agent, source, join(base, 'state-2'), { verify: 'cached' });
      });
      assert.equal(second?.report.ok, true, JSON.stringify(second?.report.error));
      assert.deepEqual(
        [...opened].sort(),
        ['big/changed.img', 'd1/f1.dat', 'd2/new.dat', 'd3/f3.dat'],
        'read: what changed on the source, what is new, and the copy the target changed',
      );
      const unchanged = small.length + big.length - 3;
      assert.deepEqual(second?.report.copy?.known?.files, unchanged);
      assert.match(
        renderReportHtml(second.report),
        new RegExp(
          `${unchanged} of them \\([^)]+\\) unchanged since an earlier migration read them`,
        ),
        'the report tells the technician',
      );
      await assertSameFiles(source, target, [...small, ...big, 'd2/new.dat']);
    } finally {
      await agent.close();
    }
  });

  it('trusts no checksum read racily, changed while read, planted by another user, or of a file whose stat moved since', async () => {
    const base = await tempDir();
    const file = join(base, 'data.bin');
    await writeFile(file, 'content\n');
    const info = await stat(file, { bigint: true });
    const entry = (over: Record<string, unknown>) => ({
      source: file,
      kind: 'file',
      size: info.size.toString(),
      mtimeNs: info.mtimeNs.toString(),
      ctimeNs: info.ctimeNs.toString(),
      ino: info.ino.toString(),
      dev: info.dev.toString(),
      nlink: 1,
      hash: 'a'.repeat(32),
      ...over,
    });
    const index = async (folder: string, lines: unknown[]) => {
      await mkdir(join(base, folder), { recursive: true });
      await writeFile(
        join(base, folder, 'index.jsonl'),
        lines.map((l) => JSON.stringify(l)).join('\n') + '\n{"torn',
      );
    };
    await index('racy', [['data.bin', entry({ racy: true })]]);
    assert.equal((await KnownHashes.load(join(base, 'mine'))).hashOf(file, info), null, 'racy');
    await index('racy', [['data.bin', entry({ mtimeNs: '-1' })]]);
    assert.equal(
      (await KnownHashes.load(join(base, 'mine'))).hashOf(file, info),
      null,
      'unsettled',
    );
    await index('racy', [
      ['data.bin', entry({})],
      ['data.bin', null],
    ]);
    assert.equal((await KnownHashes.load(join(base, 'mine'))).hashOf(file, info), null, 'removed');
    await index('racy', [['data.bin', entry({})]]);
    const known = await KnownHashes.load(join(base, 'mine'));
    assert.equal(known.hashOf(file, info), 'a'.repeat(32), 'a settled read beside this one');
    // Planted beside the state folder by someone else, or open to others' writes: not trusted.
    if (process.getuid?.() === 0) {
      await chown(join(base, 'racy'), 65534, 65534);
      assert.equal(
        (await KnownHashes.load(join(base, 'mine'))).hashOf(file, info),
        null,
        'a folder of another user',
      );
      await chown(join(base, 'racy'), 0, 0);
    }
    await chmod(join(base, 'racy', 'index.jsonl'), 0o666);
    assert.equal(
      (await KnownHashes.load(join(base, 'mine'))).hashOf(file, info),
      null,
      'a log others may write',
    );
    await chmod(join(base, 'racy', 'index.jsonl'), 0o644);
    await chmod(join(base, 'racy'), 0o777);
    assert.equal(
      (await KnownHashes.load(join(base, 'mine'))).hashOf(file, info),
      null,
      'a folder others may write',
    );
    await chmod(join(base, 'racy'), 0o700);
    assert.equal((await KnownHashes.load(join(base, 'mine'))).hashOf(file, info), 'a'.repeat(32));
    for (const moved of ['size', 'mtimeNs', 'ctimeNs', 'ino', 'dev'] as const) {
      await index('racy', [['data.bin', entry({ [moved]: String(info[moved] + 1n) })]]);
      assert.equal(
        (await KnownHashes.load(join(base, 'mine'))).hashOf(file, info),
        null,
        `read when its ${moved} was another`,
      );
    }
  });
});
