import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration } from '../../shared/format.ts';
import { translator } from '../../shared/i18n/translator.ts';

describe('durations, in the language that shows them', () => {
  it('says Chinese units in Chinese: 毫秒, 秒, 分', () => {
    const zh = translator('zh-CN');
    assert.equal(formatDuration(850, zh), '850 毫秒');
    assert.equal(formatDuration(12_345, zh), '12.3 秒');
    assert.equal(formatDuration(245_000, zh), '4 分 05 秒');
  });

  it('says English units in English, with or without the catalog', () => {
    const en = translator('en');
    for (const t of [en, undefined]) {
      assert.equal(formatDuration(850, t), '850 ms');
      assert.equal(formatDuration(12_345, t), '12.3 s');
      assert.equal(formatDuration(245_000, t), '4 min 05 s');
    }
  });

  it('rounds to whole seconds before splitting minutes: 119.6 s is 2 min 00 s', () => {
    assert.equal(formatDuration(119_600), '2 min 00 s');
  });
});
