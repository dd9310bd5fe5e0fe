import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RedoJournal, recoverInPlace } from '../../engine/agent/in-place-journal.ts';
import { startTestAgent } from '../helpers/migrate-in-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const SIZE = 256 * 1024;
const times = { atimeNs: '1600000000000000000', mtimeNs: '1600000000000000000' };

interface Case {
  stateDir: string;
  file: string;
  old: Buffer;
  next: Buffer;
  journal: RedoJournal;
}

/**
 * A target file and a journal that turns it into a new version: blocks 3 and 40 rewritten,
 * 8 KiB appended, a hole punched over block 10.
 */
async function journaled(): Promise<Case> {
  const base = await tempDir();
  const stateDir = join(base, 'state');
  await mkdir(join(base, 'root'), { recursive: true });
  const file = join(base, 'root', 'data.bin');
  const old = randomBytes(SIZE);
  await writeFile(file, old, { mode: 0o644 });
  const next = Buffer.concat([old, randomBytes(8192)]);
  randomBytes(4096).copy(next, 3 * 4096);
  randomBytes(4096).copy(next, 40 * 4096);
  next.fill(0, 10 * 4096, 11 * 4096);
  const journal = new RedoJournal(stateDir);
  journal.blocks(3 * 4096, next.subarray(3 * 4096, 4 * 4096));
  journal.hole(10 * 4096, 4096);
  journal.blocks(40 * 4096, next.subarray(40 * 4096, 41 * 4096));
  journal.blocks(SIZE, next.subarray(SIZE));
  return { stateDir, file, old, next, journal };
}

function seal(c: Case, ino: bigint): void {
  c.journal.seal({
    path: Buffer.from(c.file).toString('latin1'),
    ino: String(ino),
    size: c.next.length,
    mode: 0o600,
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
    ...times,
    chown: false,
    xattrs: undefined,
  });
}

async function journals(stateDir: string): Promise<string[]> {
  return readdir(join(stateDir, 'in-place')).catch(() => []);
}

describe('an in-place apply killed at each step', () => {
  it('before its journal was sealed: the journal is dropped, the file is the old version', async () => {
    const c = await journaled();
    const result = recoverInPlace(c.stateDir);
    assert.deepEqual(result, { replayed: [], dropped: 1 });
    assert.deepEqual(await readFile(c.file), c.old);
    assert.deepEqual(await journals(c.stateDir), []);
  });

  it('after the seal and its fsync, before a block was written: the start finishes it', async () => {
    const c = await journaled();
    seal(c, (await stat(c.file, { bigint: true })).ino);
    await c.journal.commit();
    const result = recoverInPlace(c.stateDir);
    assert.equal(result.replayed.length, 1);
    assert.deepEqual(await readFile(c.file), c.next);
    const info = await stat(c.file);
    assert.equal(info.mode & 0o777, 0o600, 'the new mode is set too');
    assert.equal(info.mtimeMs, 1600000000000);
    assert.deepEqual(await journals(c.stateDir), []);
  });

  it('halfway through writing its blocks: the start writes them all again', async () => {
    const c = await journaled();
    seal(c, (await stat(c.file, { bigint: true })).ino);
    await c.journal.commit();
    // What a kill mid-apply leaves: the first changed block written, the rest not, no growth.
    const handle = await open(c.file, 'r+');
    await handle.write(c.next, 3 * 4096, 4096, 3 * 4096);
    await handle.close();
    recoverInPlace(c.stateDir);
    assert.deepEqual(await readFile(c.file), c.next);
  });

  it('with a torn or damaged seal: dropped, and the untouched file stays the old version', async () => {
    for (const damage of ['cut', 'flip'] as const) {
      const c = await journaled();
      seal(c, (await stat(c.file, { bigint: true })).ino);
      await c.journal.commit();
      const [name] = await journals(c.stateDir);
      const path = join(c.stateDir, 'in-place', name as string);
      const handle = await open(path, 'r+');
      const { size } = await handle.stat();
      if (damage === 'cut') await handle.truncate(size - 3);
      else await handle.write(Buffer.from([0xff]), 0, 1, 40);
      await handle.close();
      assert.deepEqual(recoverInPlace(c.stateDir), { replayed: [], dropped: 1 }, damage);
      assert.deepEqual(await readFile(c.file), c.old, damage);
    }
  });

  it('left by an apply that failed, over a file since replaced: not replayed onto the new one', async () => {
    const c = await journaled();
    seal(c, (await stat(c.file, { bigint: true })).ino);
    await c.journal.commit();
    const replacement = randomBytes(1000);
    await writeFile(`${c.file}.new`, replacement);
    await rename(`${c.file}.new`, c.file);
    assert.deepEqual(recoverInPlace(c.stateDir), { replayed: [], dropped: 1 });
    assert.deepEqual(await readFile(c.file), replacement);
  });

  it('left over a file since replaced by a folder: dropped, the folder untouched', async () => {
    const c = await journaled();
    seal(c, (await stat(c.file, { bigint: true })).ino);
    await c.journal.commit();
    await rm(c.file);
    await mkdir(c.file);
    assert.deepEqual(recoverInPlace(c.stateDir), { replayed: [], dropped: 1 });
    assert.ok((await stat(c.file)).isDirectory());
  });

  it('is finished by the agent at its start, which then forgets what it knew of the file', async () => {
    const c = await journaled();
    seal(c, (await stat(c.file, { bigint: true })).ino);
    await c.journal.commit();
    const agent = await startTestAgent(join(c.file, '..'), c.stateDir);
    try {
      assert.deepEqual(agent.inPlaceRecovered, { replayed: 1, dropped: 0 });
      assert.deepEqual(await readFile(c.file), c.next);
    } finally {
      await agent.close();
    }
  });
});
