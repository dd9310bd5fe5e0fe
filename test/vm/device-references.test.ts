import assert from 'node:assert/strict';
import { cp, lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { DiskPlan, PartitionPlan } from '../../shared/vm-image.ts';
import {
  planDeviceReferences,
  rewriteFstab,
  rewriteKernelArgs,
} from '../../engine/vm/device-references.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../fixtures/boot/${name}`, import.meta.url));

const ROOT = '4a1f7c2e-9d3b-4e5f-8a6b-1c2d3e4f5a6b';
const SWAP = '7e8f9a0b-1c2d-4e3f-9a4b-5c6d7e8f9a0b';

function partition(mountpoint: string | null, role: PartitionPlan['role'], uuid: string | null) {
  return {
    role,
    sizeBytes: 1024 ** 3,
    fsType: role === 'swap' ? 'swap' : 'ext4',
    label: null,
    uuid,
    mountpoint,
  };
}

/** The VM's disk: logical volumes flattened into partitions, UUIDs kept from the source. */
const PLAN: DiskPlan = {
  table: 'gpt',
  bootMode: 'uefi',
  partitions: [
    partition('/boot/efi', 'esp', '3A1B-77C2'),
    partition('/boot', 'filesystem', '0d6a6a52-6f5e-4e3c-9a0f-6b2a4b9f1c11'),
    partition('/', 'filesystem', ROOT),
    partition('/home', 'filesystem', 'c0ffee00-1111-4222-8333-444455556666'),
    partition(null, 'swap', SWAP),
  ],
};

describe("boot files that name the source's devices", () => {
  it('fstab: logical volumes and kernel device names become the kept UUIDs; UUID= lines stay', async () => {
    const fstab = await readFile(fixture('rhel-9/etc/fstab'), 'utf8');
    const { text, changes, unplaced } = rewriteFstab(fstab, PLAN);
    assert.match(text, new RegExp(`^UUID=${ROOT}   /  +xfs +defaults +0 0$`, 'm'));
    assert.match(text, /^UUID=c0ffee00-1111-4222-8333-444455556666 +\/home /m);
    assert.match(text, new RegExp(`^UUID=${SWAP} +none +swap `, 'm'));
    assert.match(text, /^UUID=0d6a6a52-6f5e-4e3c-9a0f-6b2a4b9f1c11 \/boot /m, 'kept as it was');
    assert.match(text, /^# Created by anaconda/m, 'comments stay');
    assert.deepEqual(
      changes.map((c) => c.was),
      ['/dev/mapper/rhel-root /', '/dev/mapper/rhel-home /home', '/dev/mapper/rhel-swap none'],
    );
    assert.deepEqual(unplaced, []);
    assert.equal(text.split('\n').length, fstab.split('\n').length);
  });

  it('fstab: a device the VM will not have is named as a risk unless it is nofail', () => {
    const onlyRoot: DiskPlan = { ...PLAN, partitions: [partition('/', 'filesystem', ROOT)] };
    const { unplaced } = rewriteFstab(
      '/dev/sdb1 /data xfs defaults 0 0\n/dev/sdc1 /backup xfs defaults,nofail 0 0\n/dev/sda1 / ext4 defaults 0 1\n',
      onlyRoot,
    );
    assert.equal(unplaced?.length, 1);
    assert.match(unplaced?.[0] ?? '', /^\/dev\/sdb1 \/data: not on the VM's disk/);
  });

  it('kernel arguments: root= and resume= by UUID, rd.lvm gone, other arguments and GRUB settings untouched', () => {
    const line =
      'GRUB_CMDLINE_LINUX="crashkernel=auto resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap rhgb quiet"';
    const { text, changes } = rewriteKernelArgs(line, PLAN);
    assert.equal(text, `GRUB_CMDLINE_LINUX="crashkernel=auto resume=UUID=${SWAP} rhgb quiet"`);
    assert.deepEqual(
      changes.map((c) => [c.was, c.now]),
      [
        ['resume=/dev/mapper/rhel-swap', `resume=UUID=${SWAP}`],
        ['rd.lvm.lv=rhel/root', '(removed)'],
        ['rd.lvm.lv=rhel/swap', '(removed)'],
      ],
    );
    const grub = "set root='hd0,gpt2'\n\tlinux\t/vmlinuz root=/dev/sda2 ro\n";
    assert.equal(
      rewriteKernelArgs(grub, PLAN).text,
      `set root='hd0,gpt2'\n\tlinux\t/vmlinuz root=UUID=${ROOT} ro\n`,
    );
    const noSwap: DiskPlan = { ...PLAN, partitions: [partition('/', 'filesystem', ROOT)] };
    assert.equal(
      rewriteKernelArgs('options root=PARTUUID=0a1b-02 ro resume=/dev/sda3 quiet', noSwap).text,
      `options root=UUID=${ROOT} ro quiet`,
    );
    assert.equal(rewriteKernelArgs('linux /vmlinuz root=UUID=abc ro', PLAN).changes.length, 0);
  });

  it('a RHEL-like tree: fstab, BLS entries, /etc/default/grub and the grubenv on the ESP, written where each really is', async () => {
    const tree = join(await tempDir(), 'tree');
    await cp(fixture('rhel-9'), tree, { recursive: true, verbatimSymlinks: true });
    // Without the swap: its resume= goes, so the grubenv shrinks and must be padded again.
    const withoutSwap = { ...PLAN, partitions: PLAN.partitions.filter((p) => p.role !== 'swap') };
    const plan = await planDeviceReferences(tree, withoutSwap);
    const paths = plan.files.map((f) => f.path).sort();
    assert.deepEqual(paths, [
      '/boot/efi/EFI/redhat/grubenv',
      '/boot/loader/entries/8d2f3c1e6a9b4f0c9e7d1a2b3c4d5e6f-5.14.0-362.8.1.el9_3.x86_64.conf',
      '/etc/default/grub',
      '/etc/fstab',
    ]);
    const grubenv = plan.files.find((f) => f.path.endsWith('grubenv'))?.content ?? '';
    assert.equal(Buffer.byteLength(grubenv), 1024, "GRUB's fixed block");
    assert.match(
      grubenv,
      new RegExp(`^kernelopts=root=UUID=${ROOT} ro crashkernel=\\S+ \\n#+$`, 'm'),
    );
    const entry = plan.files.find((f) => f.path.endsWith('.conf'))?.content ?? '';
    assert.match(entry, new RegExp(`^options root=UUID=${ROOT} ro crashkernel=\\S+$`, 'm'));
    assert.match(entry, /^grub_users \$grub_users$/m);
    assert.ok(plan.changes.some((c) => c.file === '/etc/fstab' && c.now === `UUID=${ROOT} /`));
    assert.deepEqual(plan.problems, [
      "/etc/fstab: /dev/mapper/rhel-swap none: not on the VM's disk, so its boot may stop waiting for it (mark it nofail, or give the VM that disk)",
    ]);
    // The tree is the source's mirror: nothing in it changes, and the symlink stays one.
    assert.match(await readFile(join(tree, 'etc/fstab'), 'utf8'), /^\/dev\/mapper\/rhel-root/m);
    assert.ok((await lstat(join(tree, 'boot/grub2/grubenv'))).isSymbolicLink());
  });

  it('an Ubuntu-like tree: the LVM root named by its dm-uuid link and in grub.cfg', async () => {
    const plan = await planDeviceReferences(fixture('ubuntu-22.04'), PLAN);
    const fstab = plan.files.find((f) => f.path === '/etc/fstab')?.content ?? '';
    assert.match(fstab, new RegExp(`^UUID=${ROOT} / ext4 defaults 0 1$`, 'm'));
    assert.match(fstab, /^\/swap\.img\tnone\tswap/m, 'a swap file is a file, left alone');
    const grub = plan.files.find((f) => f.path === '/boot/grub/grub.cfg')?.content ?? '';
    assert.match(
      grub,
      new RegExp(`\tlinux\t/vmlinuz-5\\.15\\.0-91-generic root=UUID=${ROOT} ro\n`),
    );
    assert.match(grub, /search --no-floppy --fs-uuid --set=root 6f1c2d3e/);
    assert.deepEqual(plan.problems, []);
  });
});
