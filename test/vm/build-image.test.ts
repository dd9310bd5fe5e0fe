import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  chmod,
  chown,
  link,
  mkdir,
  open,
  readFile,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { hashFile } from '../../engine/checksum/block-checksums.ts';
import { buildImage } from '../../engine/vm/build-image.ts';
import { ext4FeatureArgs } from '../../engine/vm/ext-features.ts';
import { P2VError } from '../../shared/errors.ts';
import type { BuiltImage, DiskPlan } from '../../shared/vm-image.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const MiB = 1024 * 1024;
const TOOLS = [
  'sfdisk',
  'mke2fs',
  'debugfs',
  'e2fsck',
  'mkfs.vfat',
  'mcopy',
  'mkswap',
  'qemu-img',
  'blkid',
];
const missing = TOOLS.filter((tool) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`]);
    return false;
  } catch {
    return true;
  }
});
const isRoot = process.getuid?.() === 0;

const ROOT_UUID = '1b4e28ba-2fa1-11d2-883f-0016d3cca427';
const BOOT_UUID = '2d1f5e8a-6b7c-4d3e-9a0b-1c2d3e4f5a6b';
const SWAP_UUID = '7a6b5c4d-3e2f-4011-a2b3-c4d5e6f70819';

/** A partition as debugfs and friends address it: `image?offset=N`. */
const at = (image: BuiltImage, n: number): string =>
  `${image.path}?offset=${image.partitions[n - 1]?.startBytes ?? 0}`;
const debugfs = (target: string, request: string): string =>
  execFileSync('debugfs', ['-R', request, target], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });

describe(
  'the VM disk image, built without mounts or loop devices',
  {
    skip:
      missing.length > 0 &&
      `SKIPPED LOUDLY: missing ${missing.join(', ')} (apt-get install fdisk e2fsprogs dosfstools mtools qemu-utils)`,
  },
  () => {
    let tree: string;
    let base: string;
    const plan: DiskPlan = {
      table: 'gpt',
      bootMode: 'uefi',
      partitions: [
        {
          role: 'esp',
          sizeBytes: 48 * MiB,
          fsType: 'vfat',
          label: 'EFI',
          uuid: '6A1B-2C3D',
          mountpoint: '/boot/efi',
        },
        {
          role: 'filesystem',
          sizeBytes: 32 * MiB,
          fsType: 'ext4',
          label: 'boot',
          uuid: BOOT_UUID,
          mountpoint: '/boot',
        },
        {
          role: 'filesystem',
          sizeBytes: 96 * MiB,
          fsType: 'ext4',
          label: 'root',
          uuid: ROOT_UUID,
          mountpoint: '/',
        },
        {
          role: 'swap',
          sizeBytes: 16 * MiB,
          fsType: 'swap',
          label: 'swap',
          uuid: SWAP_UUID,
          mountpoint: null,
        },
      ],
    };
    const payload = randomBytes(300_000);

    before(async () => {
      base = await tempDir();
      tree = join(base, 'received');
      await mkdir(join(tree, 'etc/app'), { recursive: true });
      await mkdir(join(tree, 'boot/efi/EFI/debian'), { recursive: true });
      await mkdir(join(tree, 'var/empty'), { recursive: true });
      await mkdir(join(tree, 'var/mail'));
      await chown(join(tree, 'var/mail'), 0, 8);
      await chmod(join(tree, 'var/mail'), 0o2775);
      await writeFile(join(tree, 'etc/app/data.bin'), payload);
      await writeFile(join(tree, 'etc/hostname'), 'db01\n');
      // chown clears a set-uid bit, so the owner comes first.
      await chown(join(tree, 'etc/app/data.bin'), 1234, 5678);
      await chmod(join(tree, 'etc/app/data.bin'), 0o4750);
      await utimes(join(tree, 'etc/hostname'), 1_600_000_000, 1_600_000_000);
      await link(join(tree, 'etc/app/data.bin'), join(tree, 'etc/app/data-link.bin'));
      await symlink('../etc/hostname', join(tree, 'var/name-link'));
      await symlink('/nowhere/at/all', join(tree, 'var/dangling'));
      execFileSync('mkfifo', [join(tree, 'var/pipe')]);
      if (isRoot) execFileSync('mknod', [join(tree, 'var/null-dev'), 'c', '1', '3']);
      const sparse = await open(join(tree, 'var/sparse.img'), 'w');
      await sparse.write(Buffer.from('end'), 0, 3, 20 * MiB);
      await sparse.close();
      execFileSync('python3', [
        '-c',
        `import os; os.setxattr(${JSON.stringify(join(tree, 'etc/hostname'))}, 'user.p2v', b'kept')`,
      ]);
      if (isRoot) {
        // What a RHEL or Debian guest needs kept: an SELinux label, a file capability, an ACL.
        await writeFile(join(tree, 'var/ping'), randomBytes(1000));
        execFileSync('setfattr', [
          '-n',
          'security.selinux',
          '-v',
          'system_u:object_r:ping_exec_t:s0',
          join(tree, 'var/ping'),
        ]);
        execFileSync('setcap', ['cap_net_raw+ep', join(tree, 'var/ping')]);
        execFileSync('setfacl', ['-m', 'u:65534:r', join(tree, 'var/ping')]);
      }
      await writeFile(join(tree, 'boot/vmlinuz-6.1.0'), randomBytes(50_000));
      await writeFile(join(tree, 'boot/efi/EFI/debian/grubx64.efi'), randomBytes(20_000));
    });

    it('keeps partitions, labels, UUIDs, every kind of entry, owners, modes, xattrs and sparseness', async () => {
      const image = await buildImage({
        tree,
        plan,
        out: join(base, 'vm.raw'),
        format: 'raw',
        kernel: '6.1.0-18-amd64',
      });
      const table = JSON.parse(
        execFileSync('sfdisk', ['-J', image.path], { encoding: 'utf8' }),
      ) as {
        partitiontable: { label: string; partitions: { start: number; type: string }[] };
      };
      assert.equal(table.partitiontable.label, 'gpt');
      assert.deepEqual(
        table.partitiontable.partitions.map((p) => [p.start * 512, p.type]),
        [
          [image.partitions[0]?.startBytes, 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B'],
          [image.partitions[1]?.startBytes, '0FC63DAF-8483-4772-8E79-3D69D8477DE4'],
          [image.partitions[2]?.startBytes, '0FC63DAF-8483-4772-8E79-3D69D8477DE4'],
          [image.partitions[3]?.startBytes, '0657FD6D-A4AB-43C4-84E5-0933C84B4F4F'],
        ],
      );
      // Not trusting the builder: e2fsck and debugfs read what is really there.
      for (const n of [2, 3]) execFileSync('e2fsck', ['-fn', at(image, n)], { stdio: 'ignore' });
      const header = execFileSync('dumpe2fs', ['-h', at(image, 3)], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      assert.match(header, new RegExp(`Filesystem UUID:\\s+${ROOT_UUID}`));
      assert.match(header, /Filesystem volume name:\s+root/);
      const data = debugfs(at(image, 3), 'stat /etc/app/data.bin');
      assert.match(data, /Mode:\s+04750/);
      assert.match(data, /User:\s+1234\s+Group:\s+5678/);
      assert.match(data, /Links: 2/, 'the hard link is one inode with two names');
      const out = join(base, 'dumped.bin');
      debugfs(at(image, 3), `dump /etc/app/data.bin ${out}`);
      assert.deepEqual(await readFile(out), payload);
      assert.match(
        debugfs(at(image, 3), 'stat /var/name-link'),
        /Fast link dest: "\.\.\/etc\/hostname"/,
      );
      assert.match(
        debugfs(at(image, 3), 'stat /var/dangling'),
        /Fast link dest: "\/nowhere\/at\/all"/,
      );
      assert.match(debugfs(at(image, 3), 'stat /var/pipe'), /Type: FIFO/);
      assert.match(debugfs(at(image, 3), 'stat /var/mail'), /Type: directory\s+Mode:\s+02775/);
      assert.match(debugfs(at(image, 3), 'stat /var/empty'), /Type: directory/);
      if (isRoot)
        assert.match(
          debugfs(at(image, 3), 'stat /var/null-dev'),
          /Type: character special.*\n[\s\S]*Device major\/minor number: 01:03/,
        );
      assert.match(debugfs(at(image, 3), 'ea_list /etc/hostname'), /user\.p2v.*kept/);
      if (isRoot) {
        const attributes = debugfs(at(image, 3), 'ea_list /var/ping');
        assert.match(attributes, /security\.selinux.*ping_exec_t/);
        assert.match(attributes, /security\.capability/);
        assert.match(attributes, /system\.posix_acl_access/);
      }
      assert.match(debugfs(at(image, 3), 'stat /etc/hostname'), /mtime: 0x5f5e1000/);
      const sparse = debugfs(at(image, 3), 'stat /var/sparse.img');
      assert.match(sparse, /Size: 20971523/);
      const blocks = Number(/Blockcount: (\d+)/.exec(sparse)?.[1]);
      assert.ok(blocks < 64, `the sparse file takes ${blocks} sectors, not 20 MiB`);
      // Nested mount points: /boot's files are in the boot partition, not in the root one.
      assert.match(debugfs(at(image, 3), 'ls -l /boot'), /\.\./);
      assert.doesNotMatch(debugfs(at(image, 3), 'ls /boot'), /vmlinuz/);
      assert.match(debugfs(at(image, 2), 'ls /'), /vmlinuz-6\.1\.0/);
      assert.doesNotMatch(debugfs(at(image, 2), 'ls /efi'), /EFI/);
      const esp = execFileSync(
        'mdir',
        ['-b', '-i', `${image.path}@@${image.partitions[0]?.startBytes}`, '::/EFI/debian'],
        { encoding: 'utf8' },
      );
      assert.match(esp, /GRUBX64\.EFI|grubx64\.efi/i);
      const espInfo = execFileSync(
        'blkid',
        ['-p', '-O', String(image.partitions[0]?.startBytes), image.path],
        { encoding: 'utf8' },
      );
      assert.match(espInfo, /UUID="6A1B-2C3D"/);
      assert.match(espInfo, /TYPE="vfat"/);
      const swap = execFileSync(
        'blkid',
        ['-p', '-O', String(image.partitions[3]?.startBytes), image.path],
        { encoding: 'utf8' },
      );
      assert.match(swap, new RegExp(`UUID="${SWAP_UUID}"`));
      assert.match(swap, /TYPE="swap"/);
      assert.equal(image.hash, await hashFile(image.path));
    });

    it('converts to qcow2, stream-optimized vmdk and vhdx with the same disk inside', async () => {
      for (const format of ['qcow2', 'vmdk', 'vhdx'] as const) {
        const image = await buildImage({
          tree,
          plan,
          out: join(base, `vm.${format}`),
          format,
          kernel: null,
        });
        const info = JSON.parse(
          execFileSync('qemu-img', ['info', '--output=json', image.path], { encoding: 'utf8' }),
        ) as {
          format: string;
          'virtual-size': number;
          'format-specific'?: { data?: { 'create-type'?: string } };
        };
        assert.equal(info.format, format);
        assert.ok(info['virtual-size'] >= image.virtualBytes, `${format} holds the whole disk`);
        if (format === 'vmdk')
          assert.equal(info['format-specific']?.data?.['create-type'], 'streamOptimized');
        assert.ok(!existsSync(`${image.path}.raw.partial`), 'no scratch left behind');
        // What a hypervisor reads back: the same partitions and filesystems.
        const back = join(base, `back-${format}.raw`);
        execFileSync('qemu-img', ['convert', '-O', 'raw', image.path, back]);
        const rootAt = `${back}?offset=${image.partitions[2]?.startBytes}`;
        execFileSync('e2fsck', ['-fn', rootAt], { stdio: 'ignore' });
        assert.match(
          execFileSync('dumpe2fs', ['-h', rootAt], {
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'ignore'],
          }),
          new RegExp(`Filesystem UUID:\\s+${ROOT_UUID}`),
        );
      }
    });

    it('refuses filesystems it cannot build, and writes nothing', async () => {
      const ntfs: DiskPlan = {
        ...plan,
        partitions: [
          {
            role: 'filesystem',
            sizeBytes: 64 * MiB,
            fsType: 'ntfs',
            label: null,
            uuid: null,
            mountpoint: '/srv',
          },
        ],
      };
      await assert.rejects(
        buildImage({
          tree,
          plan: ntfs,
          out: join(base, 'ntfs.qcow2'),
          format: 'qcow2',
          kernel: null,
        }),
        (e) =>
          e instanceof P2VError &&
          /\/srv is ntfs: the image builder makes ext2\/3\/4, XFS, btrfs/.test(e.message),
      );
      assert.ok(
        !existsSync(join(base, 'ntfs.qcow2')) && !existsSync(join(base, 'ntfs.qcow2.raw.partial')),
      );
    });

    it('refuses a disk boot it cannot make (no GRUB in the source, no BIOS boot partition), and writes nothing', async () => {
      // This tree has no GRUB of its own: a source that boots with systemd-boot, say.
      await assert.rejects(
        buildImage({
          tree,
          plan,
          out: join(base, 'efi.qcow2'),
          format: 'qcow2',
          kernel: null,
          bootloader: 'grub-efi',
        }),
        (e) => e instanceof P2VError && /the source has no GRUB for x86_64-efi/.test(e.message),
      );
      await assert.rejects(
        buildImage({
          tree,
          plan: { ...plan, bootMode: 'bios' },
          out: join(base, 'bios-gpt.qcow2'),
          format: 'qcow2',
          kernel: null,
          bootloader: 'grub-bios',
        }),
        (e) => e instanceof P2VError && /needs a BIOS boot partition in the plan/.test(e.message),
      );
      for (const name of ['efi.qcow2', 'bios-gpt.qcow2'])
        assert.ok(!existsSync(join(base, name)), `${name} was not left behind`);
    });

    it("writes GRUB at the ESP's removable-media path over the source's own boot program, and says so", async (t) => {
      const modules = '/usr/lib/grub/x86_64-efi';
      if (!existsSync(join(modules, 'normal.mod'))) {
        t.skip(`SKIPPED LOUDLY: no ${modules} (apt-get install grub-efi-amd64-bin)`);
        return;
      }
      // A RHEL-style ESP: shim's fallback at \EFI\BOOT\BOOTX64.EFI, GRUB's config in /boot/grub2.
      const efiTree = join(base, 'received-efi');
      await mkdir(join(efiTree, 'boot/efi/EFI/BOOT'), { recursive: true });
      await mkdir(join(efiTree, 'boot/grub2'), { recursive: true });
      await mkdir(join(efiTree, 'usr/lib/grub'), { recursive: true });
      await symlink(modules, join(efiTree, 'usr/lib/grub/x86_64-efi'));
      await writeFile(join(efiTree, 'boot/grub2/grub.cfg'), 'set timeout=0\n');
      const shim = Buffer.from("the source's shim fallback\n");
      await writeFile(join(efiTree, 'boot/efi/EFI/BOOT/BOOTX64.EFI'), shim);
      const image = await buildImage({
        tree: efiTree,
        plan: { ...plan, partitions: plan.partitions.filter((p) => p.mountpoint !== '/boot') },
        out: join(base, 'efi-boot.raw'),
        format: 'raw',
        kernel: null,
        bootloader: 'grub-efi',
      });
      assert.deepEqual(image.bootloaderFiles, [
        { file: '/boot/efi/EFI/BOOT/BOOTX64.EFI', replaced: true },
      ]);
      const written = join(base, 'written.efi');
      execFileSync('mcopy', [
        '-n',
        '-i',
        `${image.path}@@${image.partitions[0]?.startBytes}`,
        '::/EFI/BOOT/BOOTX64.EFI',
        written,
      ]);
      const program = await readFile(written);
      assert.equal(program.subarray(0, 2).toString('latin1'), 'MZ', 'an EFI program');
      assert.notDeepEqual(program, shim, "GRUB, not the source's file");
    });

    it('turns off ext4 features an older guest kernel cannot mount', async () => {
      assert.deepEqual(ext4FeatureArgs('6.1.0-18-amd64'), []);
      assert.deepEqual(ext4FeatureArgs('5.14.0-362.el9'), ['-O', '^orphan_file']);
      assert.deepEqual(ext4FeatureArgs('3.10.0-1160.el7.x86_64'), [
        '-O',
        '^orphan_file,^metadata_csum_seed,^metadata_csum',
      ]);
      const old = await buildImage({
        tree,
        plan,
        out: join(base, 'el7.raw'),
        format: 'raw',
        kernel: '3.10.0-1160.el7.x86_64',
      });
      const features = execFileSync('dumpe2fs', ['-h', at(old, 3)], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      assert.doesNotMatch(
        /Filesystem features:(.*)/.exec(features)?.[1] ?? '',
        /metadata_csum|orphan_file/,
      );
    });
  },
);
