import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  encodeFrame,
  FrameDecoder,
  FrameType,
  MAX_FRAME_BODY,
} from '../../engine/protocol/frame.ts';

describe('frames', () => {
  it('come out whole whatever the chunking of the stream', () => {
    const bodies = [Buffer.from('{"t":"ping","id":1}'), Buffer.alloc(70_000, 3), Buffer.alloc(0)];
    const stream = Buffer.concat(bodies.flatMap((b) => encodeFrame(FrameType.blocks, b)));
    for (const size of [1, 2, 5, 4096, stream.length]) {
      const decoder = new FrameDecoder();
      const out = [];
      for (let i = 0; i < stream.length; i += size)
        out.push(...decoder.push(stream.subarray(i, i + size)));
      assert.deepEqual(
        out.map((f) => f.body),
        bodies,
        `chunks of ${size}`,
      );
      assert.equal(decoder.pendingBytes, 0);
    }
  });

  it('refuse a length over the limit before any of it is buffered', () => {
    const header = Buffer.alloc(5);
    header.writeUInt32BE(MAX_FRAME_BODY + 1, 0);
    header.writeUInt8(FrameType.message, 4);
    assert.throws(() => new FrameDecoder().push(header), { code: 'BAD_FRAME' });
  });

  it('refuse an unknown frame type', () => {
    assert.throws(() => new FrameDecoder().push(Buffer.from([0, 0, 0, 0, 99])), {
      code: 'BAD_FRAME',
    });
  });

  it('cannot be made larger than the limit', () => {
    assert.throws(
      () => encodeFrame(FrameType.blocks, Buffer.alloc(MAX_FRAME_BODY + 1)),
      RangeError,
    );
  });
});
