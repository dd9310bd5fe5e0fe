import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { migrateTo, startTestAgent } from '../helpers/migrate-in-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const asRoot = process.getuid?.() === 0;

/** Every extended attribute of an entry as getfattr prints it (no symlink followed). */
function attributes(path: string): string {
  return execFileSync('getfattr', ['--absolute-names', '-h', '-d', '-m', '-', '-e', 'hex', path], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter((line) => line.includes('='))
    .sort()
    .join('\n');
}

const ENTRIES = ['usr/bin/ping', 'etc/app.conf', 'srv/shared', 'srv/current'];

describe('extended attributes, ACLs, capabilities and SELinux labels', () => {
  it(
    'are copied, set before the rename, kept up to date in the rounds and verified',
    { skip: asRoot ? false : 'needs root for trusted and security attributes' },
    async () => {
      const base = await tempDir();
      const source = join(base, 'source');
      const target = join(base, 'target');
      await mkdir(join(source, 'usr/bin'), { recursive: true });
      await mkdir(join(source, 'etc'), { recursive: true });
      await mkdir(join(source, 'srv/shared'), { recursive: true });
      await writeFile(join(source, 'usr/bin/ping'), 'an ELF binary, say\n');
      await writeFile(join(source, 'etc/app.conf'), 'port = 8080\n');
      await symlink('shared', join(source, 'srv/current'));
      const set = (args: string[]): void => void execFileSync(args[0] as string, args.slice(1));
      // A capability (set last: a chown clears it), an SELinux label, user and trusted
      // attributes, an access ACL and a folder's default ACL, a label on a symlink.
      set([
        'setfattr',
        '-n',
        'security.selinux',
        '-v',
        'system_u:object_r:ping_exec_t:s0',
        join(source, 'usr/bin/ping'),
      ]);
      set(['setcap', 'cap_net_raw+ep', join(source, 'usr/bin/ping')]);
      set([
        'setfattr',
        '-n',
        'security.selinux',
        '-v',
        'system_u:object_r:etc_t:s0',
        join(source, 'etc/app.conf'),
      ]);
      set(['setfattr', '-n', 'user.origin', '-v', 'web-1', join(source, 'etc/app.conf')]);
      set(['setfattr', '-n', 'trusted.backup', '-v', 'nightly', join(source, 'etc/app.conf')]);
      set(['setfacl', '-m', 'u:65534:r', join(source, 'etc/app.conf')]);
      set(['setfacl', '-d', '-m', 'g:65534:rwx', join(source, 'srv/shared')]);
      set([
        'setfattr',
        '-h',
        '-n',
        'security.selinux',
        '-v',
        'system_u:object_r:var_t:s0',
        join(source, 'srv/current'),
      ]);
      const agent = await startTestAgent(target, join(base, 'agent-state'));
      try {
        const { report } = await migrateTo(agent, source, join(base, 'state'), {
          verify: 'cached',
          // After the rounds converged: the label changes and an attribute goes, as a relabel would.
          confirmCutover: async () => {
            set([
              'setfattr',
              '-n',
              'security.selinux',
              '-v',
              'system_u:object_r:httpd_config_t:s0',
              join(source, 'etc/app.conf'),
            ]);
            set(['setfattr', '-x', 'user.origin', join(source, 'etc/app.conf')]);
            return true;
          },
        });
        assert.equal(report.ok, true, JSON.stringify(report.error));
        for (const entry of ENTRIES) {
          const here = attributes(join(source, entry));
          assert.ok(here.length > 0, `${entry} has attributes on the source`);
          assert.equal(attributes(join(target, entry)), here, `${entry} on the target`);
        }
        assert.ok(
          attributes(join(target, 'etc/app.conf')).includes(
            Buffer.from('httpd_config_t').toString('hex'),
          ),
          'the label set after the rounds converged is the one on the target',
        );
        assert.doesNotMatch(attributes(join(target, 'etc/app.conf')), /user\.origin/);
        assert.match(
          execFileSync('getcap', [join(target, 'usr/bin/ping')], { encoding: 'utf8' }),
          /cap_net_raw[=+]ep/,
        );
        assert.ok(!report.warnings.some((w) => /extended attribute/.test(w.message)));
      } finally {
        await agent.close();
      }
    },
  );

  it(
    'that differ on the target after the last round fail the first verification and are sent again',
    { skip: asRoot ? false : 'needs root for security attributes' },
    async () => {
      const base = await tempDir();
      const source = join(base, 'source');
      const target = join(base, 'target');
      await mkdir(source);
      await writeFile(join(source, 'file'), 'x\n');
      execFileSync('setfattr', ['-n', 'user.keep', '-v', 'yes', join(source, 'file')]);
      const agent = await startTestAgent(target, join(base, 'agent-state'));
      try {
        const { report } = await migrateTo(agent, source, join(base, 'state'), {
          verify: 'cached',
          confirmCutover: async () => {
            execFileSync('setfattr', ['-x', 'user.keep', join(target, 'file')]);
            return true;
          },
        });
        assert.equal(report.ok, true, JSON.stringify(report.error));
        assert.deepEqual(report.verification?.resent, ['file']);
        assert.equal(attributes(join(target, 'file')), attributes(join(source, 'file')));
      } finally {
        await agent.close();
      }
    },
  );
});
