import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it, mock, type TestContext } from 'node:test';
import { brotliCompressSync } from 'node:zlib';
import { BlockCompression, decompressBlocks } from '../../engine/protocol/block-compression.ts';
import { MAX_FRAME_BODY } from '../../engine/protocol/frame.ts';

/** A megabyte of real source text. */
const text = readFileSync(createRequire(import.meta.url).resolve('typescript')).subarray(
  0,
  1024 * 1024,
);

describe('compression of file data', () => {
  it('compresses text and decodes it back exactly', async () => {
    const compression = new BlockCompression('on');
    const packed = await compression.pack(text);
    assert.ok(packed && packed.length < text.length / 2, `text shrinks: ${packed?.length}`);
    assert.ok((await decompressBlocks(packed)).equals(text));
    assert.equal(compression.sentBytes, packed.length);
    assert.equal(compression.dataBytes, text.length);
  });

  it('sends data that does not compress as it is, and stops trying for a while', async () => {
    const compression = new BlockCompression('on');
    const random = randomBytes(256 * 1024);
    assert.equal(await compression.pack(random), null);
    // After one miss the next two frames are not even tried: text among them goes as it is.
    assert.equal(await compression.pack(text), null);
    assert.equal(await compression.pack(text), null);
    assert.ok(await compression.pack(text), 'then it tries again, and text compresses');
    assert.ok(compression.ratio < 1);
  });

  it('never compresses when off, and offers no codec', async () => {
    const compression = new BlockCompression('off');
    assert.deepEqual(compression.offered, []);
    assert.equal(await compression.pack(text), null);
    assert.equal(compression.ratio, 1);
  });

  describe('in auto, measuring both ways', () => {
    /** Compression in `auto` on a clock that starts at 0 and moves only when told. */
    const onMockedClock = (t: TestContext): BlockCompression => {
      mock.timers.enable({ apis: ['Date'], now: 0 });
      t.after(() => mock.timers.reset());
      return new BlockCompression('auto');
    };
    /** Offers `frames` megabytes of text, `msEach` apart on the mocked clock. */
    const offer = async (compression: BlockCompression, frames: number, msEach: number) => {
      for (let i = 0; i < frames; i++) {
        mock.timers.tick(msEach);
        await compression.pack(text);
      }
    };

    it('leaves the time before the first frame out of the first measure', async (t) => {
      const compression = onMockedClock(t);
      // Connecting and walking the tree on a busy server: five seconds without file data.
      mock.timers.tick(5000);
      // Then both ways at the same rate, compressed first: a tie keeps compressing.
      await offer(compression, 44, 50);
      assert.equal(compression.active, true, 'the setup time did not count against compressing');
    });

    it('leaves a pause between frames out of the measure that spans it', async (t) => {
      const compression = onMockedClock(t);
      await offer(compression, 10, 50);
      // The full copy ends: a pause before the first round.
      mock.timers.tick(10_000);
      await offer(compression, 44, 50);
      assert.equal(compression.active, true, 'the pause did not count against compressing');
    });

    it('keeps the faster way', async (t) => {
      const compression = onMockedClock(t);
      // Compressed, 20 MB/s; then as they are, 40 MB/s (a LAN faster than the compressor).
      await offer(compression, 22, 50);
      assert.equal(compression.active, false, 'after a measure compressed, one as they are');
      await offer(compression, 42, 25);
      assert.equal(compression.active, false, 'as they are was faster, and is kept');
    });
  });

  it('refuses a frame that does not decode, or decodes to more than a frame', async () => {
    await assert.rejects(decompressBlocks(Buffer.from('not brotli at all')), {
      code: 'BAD_FRAME',
    });
    const bomb = brotliCompressSync(Buffer.alloc(MAX_FRAME_BODY + 1));
    assert.ok(bomb.length < 1024, 'a few bytes that would unpack to more than 4 MiB');
    await assert.rejects(decompressBlocks(bomb), { code: 'BAD_FRAME' });
  });
});
