import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BuiltImage } from '../../shared/vm-image.ts';
import { SMALL_ROOT_PLAN } from '../helpers/disk-plans.ts';
import { P2V_BIN } from '../helpers/agent-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const missing = ['sfdisk', 'mke2fs', 'debugfs'].filter((tool) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`]);
    return false;
  } catch {
    return true;
  }
});

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../fixtures/network/${name}`, import.meta.url));

describe(
  "the VM image takes over the source's identity: its network, its SELinux labels",
  {
    skip:
      missing.length > 0 &&
      `SKIPPED LOUDLY: missing ${missing.join(', ')} (apt-get install fdisk e2fsprogs)`,
  },
  () => {
    it('p2v vm build --nic-mac: the old name pinned, MAC matches rewritten, in the image only', async () => {
      const base = await tempDir();
      const tree = join(base, 'tree');
      await cp(fixture('rhel-9'), tree, { recursive: true });
      await cp(fixture('centos-6/etc/udev'), join(tree, 'etc/udev'), { recursive: true });
      const plan = join(base, 'plan.json');
      await writeFile(plan, JSON.stringify(SMALL_ROOT_PLAN));
      const image = join(base, 'vm.raw');
      const run = (extra: string[]) =>
        execFileSync(
          process.execPath,
          [
            P2V_BIN,
            'vm',
            'build',
            '--tree',
            tree,
            '--plan',
            plan,
            '--out',
            image,
            '--format',
            'raw',
            ...extra,
          ],
          { encoding: 'utf8' },
        );
      const said = run(['--nic-mac', '52:54:00:AA:00:01']);
      assert.match(said, /network: the VM's card must have the MAC 52:54:00:aa:00:01/);
      assert.match(said, /changed: \/etc\/systemd\/network\/10-p2v-ens192\.link/);
      assert.match(
        said,
        /changed: \/etc\/NetworkManager\/system-connections\/ens192\.nmconnection/,
      );

      const built = JSON.parse(run(['--nic-mac', '52:54:00:aa:00:01', '--json'])) as BuiltImage;
      assert.equal(built.network?.vmMac, '52:54:00:aa:00:01');
      const cat = (path: string): string =>
        execFileSync(
          'debugfs',
          ['-R', `cat ${path}`, `${image}?offset=${built.partitions[0]?.startBytes}`],
          {
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'ignore'],
          },
        );
      assert.match(
        cat('/etc/systemd/network/10-p2v-ens192.link'),
        /MACAddress=52:54:00:aa:00:01\n\n\[Link\]\nName=ens192/,
      );
      assert.match(
        cat('/etc/NetworkManager/system-connections/ens192.nmconnection'),
        /mac-address=52:54:00:AA:00:01/,
      );
      assert.match(
        cat('/etc/udev/rules.d/70-persistent-net.rules'),
        /00:0c:29:11:22:33/,
        'a rule for another card stays',
      );
      // The received tree is the source's mirror: it keeps the source's files.
      assert.match(
        await readFile(
          join(tree, 'etc/NetworkManager/system-connections/ens192.nmconnection'),
          'utf8',
        ),
        /mac-address=00:50:56:AB:CD:EF/,
      );

      const untouched = JSON.parse(run(['--no-network-identity', '--json'])) as BuiltImage;
      assert.equal(untouched.network, undefined);
      assert.match(
        cat('/etc/NetworkManager/system-connections/ens192.nmconnection'),
        /00:50:56:AB:CD:EF/,
      );
    });

    it('an SELinux guest whose files came without labels relabels at first boot; with labels, not', async () => {
      const base = await tempDir();
      const tree = join(base, 'tree');
      await cp(fixture('rhel-8'), tree, { recursive: true });
      await mkdir(join(tree, 'etc/selinux'), { recursive: true });
      await writeFile(
        join(tree, 'etc/selinux/config'),
        'SELINUX=enforcing\nSELINUXTYPE=targeted\n',
      );
      await writeFile(join(tree, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
      const plan = join(base, 'plan.json');
      await writeFile(plan, JSON.stringify(SMALL_ROOT_PLAN));
      const image = join(base, 'vm.raw');
      const build = (): { said: string; built: BuiltImage } => {
        const said = execFileSync(
          process.execPath,
          [
            P2V_BIN,
            'vm',
            'build',
            '--tree',
            tree,
            '--plan',
            plan,
            '--out',
            image,
            '--format',
            'raw',
            '--no-network-identity',
          ],
          { encoding: 'utf8' },
        );
        const built = JSON.parse(
          execFileSync(
            process.execPath,
            [
              P2V_BIN,
              'vm',
              'build',
              '--tree',
              tree,
              '--plan',
              plan,
              '--out',
              image,
              '--format',
              'raw',
              '--no-network-identity',
              '--json',
            ],
            { encoding: 'utf8' },
          ),
        ) as BuiltImage;
        return { said, built };
      };
      const stat = (built: BuiltImage, path: string): string =>
        execFileSync(
          'debugfs',
          ['-R', `stat ${path}`, `${image}?offset=${built.partitions[0]?.startBytes}`],
          {
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'ignore'],
          },
        );
      const unlabelled = build();
      assert.match(
        unlabelled.said,
        /SELinux \(enforcing\): the received files carry no SELinux labels .*\/etc\/passwd.*\/\.autorelabel/,
      );
      assert.equal(unlabelled.built.selinuxRelabel?.mode, 'enforcing');
      assert.match(stat(unlabelled.built, '/.autorelabel'), /Type: regular/);
      if (process.getuid?.() !== 0) return;
      for (const path of ['etc/passwd', 'etc/selinux/config'])
        execFileSync('setfattr', [
          '-n',
          'security.selinux',
          '-v',
          'system_u:object_r:etc_t:s0',
          join(tree, path),
        ]);
      const labelled = build();
      assert.equal(labelled.built.selinuxRelabel, undefined);
      assert.doesNotMatch(labelled.said, /autorelabel/);
      assert.doesNotMatch(stat(labelled.built, '/.autorelabel'), /Type: regular/);
    });
  },
);
