import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseBytes,
  parseCount,
  parseHostPort,
  parseRate,
  parseSeconds,
} from '../../cli/parse-options.ts';
import { parseSourceArgument } from '../../engine/source/source-map.ts';
import { displayPath } from '../../engine/paths/raw-path.ts';

describe('command-line values', () => {
  it('sizes', () => {
    assert.equal(parseBytes('1048576'), 1048576);
    assert.equal(parseBytes('512k'), 512 * 1024);
    assert.equal(parseBytes('1MiB'), 1024 * 1024);
    assert.equal(parseBytes('2.5GB'), 2.5e9);
    for (const bad of ['', 'lots', '-1', '1 parsec'])
      assert.throws(() => parseBytes(bad), { code: 'BAD_ARGUMENT' });
  });

  it('bandwidths: a bare number is Mbit/s, as links are sold', () => {
    assert.equal(parseRate('40'), 5e6);
    assert.equal(parseRate('0.5'), 62_500);
    assert.equal(parseRate('800kbit'), 100_000);
    assert.equal(parseRate('1Gbit'), 125e6);
    assert.equal(parseRate('5MB/s'), 5e6);
    assert.equal(parseRate('5MiB/s'), 5 * 1024 ** 2);
    for (const bad of ['', 'fast', '0', '-3', '5 parsecs'])
      assert.throws(() => parseRate(bad), { code: 'BAD_ARGUMENT' });
  });

  it('addresses, seconds and counts', () => {
    assert.deepEqual(parseHostPort('127.0.0.1:7070'), { host: '127.0.0.1', port: 7070 });
    assert.deepEqual(parseHostPort('[::1]:0'), { host: '::1', port: 0 });
    for (const bad of ['localhost', ':80', 'host:99999', 'a:b'])
      assert.throws(() => parseHostPort(bad), { code: 'BAD_ARGUMENT' });
    assert.equal(parseSeconds('0.5'), 0.5);
    assert.throws(() => parseSeconds('-2'), { code: 'BAD_ARGUMENT' });
    assert.equal(parseCount('3'), 3);
    assert.throws(() => parseCount('0'), { code: 'BAD_ARGUMENT' });
  });

  it('source mappings keep the absolute path unless told otherwise', () => {
    assert.deepEqual(parseSourceArgument('/var/lib/app'), {
      dir: '/var/lib/app',
      target: 'var/lib/app',
    });
    assert.deepEqual(parseSourceArgument('/data:/'), { dir: '/data', target: '' });
    assert.deepEqual(parseSourceArgument('/srv/www:/var/www'), {
      dir: '/srv/www',
      target: 'var/www',
    });
    assert.equal(displayPath(parseSourceArgument('/srv/名前').target), 'srv/名前');
    assert.throws(() => parseSourceArgument('/x:relative'), { code: 'BAD_ARGUMENT' });
    assert.throws(() => parseSourceArgument('/x:/a/../b'), { code: 'BAD_ARGUMENT' });
  });
});
