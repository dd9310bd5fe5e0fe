import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hashBuffer } from '../../engine/checksum/block-checksums.ts';
import { AgentClient } from '../../engine/source/agent-client.ts';
import { startTestAgent } from '../helpers/migrate-in-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('a file whose extended attributes the target cannot set', () => {
  it('is written, and its acknowledgement says what was not set', async () => {
    const base = await tempDir();
    const agent = await startTestAgent(join(base, 'target'), join(base, 'agent-state'));
    try {
      const client = await AgentClient.connect(agent);
      try {
        const data = Buffer.from('the file\n');
        const put = client.beginPut({
          path: 'file.txt',
          size: data.length,
          mode: 0o644,
          uid: process.getuid?.() ?? 0,
          gid: process.getgid?.() ?? 0,
          mtimeNs: '1700000000000000000',
          atimeNs: '1700000000000000000',
          base: false,
          // Not an ACL the kernel accepts: the set fails with EINVAL, wherever the test runs.
          xattrs: [
            { name: 'system.posix_acl_access', value: Buffer.from('no acl').toString('base64') },
          ],
        });
        await client.sendBlocks(0, data);
        await client.endPut(put.id, hashBuffer(data));
        const answer = (await put.done) as { warning?: string };
        assert.match(answer.warning ?? '', /system\.posix_acl_access/);
        assert.equal(await readFile(join(base, 'target', 'file.txt'), 'utf8'), 'the file\n');
      } finally {
        await client.close();
      }
    } finally {
      await agent.close();
    }
  });
});
