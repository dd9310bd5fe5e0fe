import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyParam, renderMessage } from '../../shared/i18n/render-message.ts';
import { translator } from '../../shared/i18n/translator.ts';

describe('a sentence the engine says, rendered in a language', () => {
  it('says a value that names a catalog key in that language', () => {
    const message = {
      key: 'warnings.notCopied',
      params: { reason: keyParam('errors.UNSUPPORTED_FILE'), detail: ' (/srv/fifo)' },
    };
    assert.match(
      renderMessage(translator('zh-CN'), message),
      /^未复制：设备文件.* \(\/srv\/fifo\)$/,
    );
    assert.match(renderMessage(translator('en'), message), /^Not copied: A device, FIFO/);
  });

  it('says a value that only looks like a key (a file named @types) as it is', () => {
    const message = {
      key: 'warnings.pathFailed',
      params: { path: '@types', reason: 'EACCES', detail: '' },
    };
    assert.equal(renderMessage(translator('en'), message), '@types: EACCES');
    const dotted = { ...message, params: { ...message.params, path: '@scope.pkg' } };
    assert.equal(renderMessage(translator('en'), dotted), '@scope.pkg: EACCES');
  });
});
