import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
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

  it('refuses a frame that does not decode, or decodes to more than a frame', async () => {
    await assert.rejects(decompressBlocks(Buffer.from('not brotli at all')), {
      code: 'BAD_FRAME',
    });
    const bomb = brotliCompressSync(Buffer.alloc(MAX_FRAME_BODY + 1));
    assert.ok(bomb.length < 1024, 'a few bytes that would unpack to more than 4 MiB');
    await assert.rejects(decompressBlocks(bomb), { code: 'BAD_FRAME' });
  });
});
