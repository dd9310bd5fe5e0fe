import assert from 'node:assert/strict';
import { existsSync, openSync, writeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TempReceived } from '../../engine/agent/apply-put.ts';
import { CommitBatch } from '../../engine/agent/commit-batch.ts';
import { TempJournal } from '../../engine/agent/temp-journal.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** A received file in its temp name, waiting for the batch to rename it into `dir`. */
function received(dir: string, name: string): TempReceived {
  const temp = Buffer.from(join(dir, `.${name}.p2v-tmp`));
  const fd = openSync(temp, 'wx');
  writeSync(fd, 'new\n');
  const full = Buffer.from(join(dir, name));
  return {
    kind: 'temp',
    fd,
    temp,
    placement: { dir: Buffer.from(dir), name: Buffer.from(name), full },
    hash: '0'.repeat(32),
    sig: null,
    warning: null,
  };
}

describe('the commit batch, and a folder whose times are set', () => {
  it('waits for files still to be renamed into that folder, and only for those', async () => {
    const base = await tempDir();
    const [a, b] = [join(base, 'a'), join(base, 'b')];
    await mkdir(a);
    await mkdir(b);
    const { journal } = await TempJournal.open(base);
    const batch = new CommitBatch(journal);
    const done = async (): Promise<void> => undefined;
    batch.add('a/f', received(a, 'f'), done, () => true);

    // A folder nothing is renamed into is not held up: b's times may be set at once.
    await batch.waitForRenamesInto(Buffer.from(b));
    assert.equal(existsSync(join(a, 'f')), false, 'a/f is not committed for b');

    // Setting a's times now would be undone by the rename: the wait commits it first.
    await batch.waitForRenamesInto(Buffer.from(a));
    assert.equal(existsSync(join(a, 'f')), true, 'a/f was renamed in before a is touched');
    await batch.waitForRenamesInto(Buffer.from(a));
  });
});
