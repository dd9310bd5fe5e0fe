import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimit } from '../../engine/protocol/rate-limit.ts';

describe('the bandwidth limit', () => {
  it('lets a sender go at once when there is no limit', async () => {
    const limit = new RateLimit();
    await limit.take(1e9);
    assert.equal(limit.rate, null);
  });

  it('releases a waiting sender as soon as the limit is lifted', { timeout: 5000 }, async () => {
    // At 1 kB/s a megabyte would hold the sender for 1000 s.
    const limit = new RateLimit(1000);
    const waiting = limit.take(1e6);
    limit.set(null);
    await waiting;
  });

  it('re-times a waiting sender when the limit is raised', { timeout: 5000 }, async () => {
    const limit = new RateLimit(1000);
    const waiting = limit.take(1e6);
    limit.set(1e9);
    await waiting;
    assert.equal(limit.rate, 1e9);
  });

  it('refuses a rate that is not one', () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY])
      assert.throws(() => new RateLimit(bad), RangeError);
  });
});
