import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SourceSet } from '../../engine/migration/source-set.ts';
import { displayPath, fromText } from '../../engine/paths/raw-path.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('a source set with paths left to the target', () => {
  it('neither locates nor walks a held path, and keeps everything beside it', async () => {
    const base = await tempDir();
    await mkdir(join(base, 'root/boot'), { recursive: true });
    await writeFile(join(base, 'root/boot/initrd.img-6.1'), 'the source’s initramfs');
    await writeFile(join(base, 'root/boot/vmlinuz-6.1'), 'the kernel');
    // Mapped onto the target's root, as a whole machine is.
    const set = new SourceSet([{ dir: join(base, 'root'), target: '' }], [], false);
    const initrd = fromText(join(base, 'root/boot/initrd.img-6.1'));
    assert.equal(set.locate(initrd)?.target, 'boot/initrd.img-6.1', 'sent before it is held');
    set.hold([fromText('boot/initrd.img-6.1')]);
    assert.equal(set.locate(initrd), null, 'no longer sent');
    const walked: string[] = [];
    for await (const entry of set.walkAll(() => undefined)) walked.push(displayPath(entry.target));
    assert.deepEqual(walked.sort(), ['boot', 'boot/vmlinuz-6.1'], 'the walk skips it');
    assert.equal(
      set.locate(fromText(join(base, 'root/boot/vmlinuz-6.1')))?.target,
      'boot/vmlinuz-6.1',
    );
  });
});
