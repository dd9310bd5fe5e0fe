import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { confinePath } from '../../engine/paths/confine.ts';

describe('confining wire paths to the target root', () => {
  it('accepts ordinary relative paths, byte names and odd but legal names', () => {
    assert.deepEqual(confinePath('etc/app/config.ini'), ['etc', 'app', 'config.ini']);
    assert.deepEqual(confinePath('bad\xff\xfe.bin'), ['bad\xff\xfe.bin']);
    assert.deepEqual(confinePath('new\nline'), ['new\nline']);
    assert.deepEqual(confinePath('...'), ['...']);
    assert.deepEqual(confinePath('-rf'), ['-rf']);
    assert.deepEqual(confinePath('aux.c', { windowsNames: false }), ['aux.c']);
  });

  for (const bad of [
    '',
    '/etc/passwd',
    '../x',
    'a/../../b',
    'a/./b',
    '.',
    '..',
    'a//b',
    'a/',
    'x\0y',
    'wide\u0100',
    'n'.repeat(256),
  ]) {
    it(`refuses ${JSON.stringify(bad).slice(0, 40)}`, () => {
      assert.throws(() => confinePath(bad), { code: 'BAD_PATH' });
    });
  }

  for (const bad of [
    'CON',
    'nul.txt',
    'dir/COM1',
    'LPT9.log',
    'C:evil',
    'a\\..\\b',
    'trailing.',
    'trailing ',
  ]) {
    it(`refuses the Windows name ${JSON.stringify(bad)} where the target is Windows`, () => {
      assert.throws(() => confinePath(bad, { windowsNames: true }), { code: 'BAD_PATH' });
    });
  }
});
