import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkInitramfs } from '../../engine/vm/initramfs-check.ts';
import { rebuildInitramfs } from '../../engine/vm/initramfs-rebuild.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const RELEASE = '6.1.0-18-amd64';
const DEBIAN_LISTING = [
  'usr/lib/modules/6.1.0-18-amd64/kernel/drivers/block/virtio_blk.ko',
  'usr/lib/modules/6.1.0-18-amd64/kernel/drivers/virtio/virtio_pci.ko',
  'usr/lib/modules/6.1.0-18-amd64/kernel/fs/ext4/ext4.ko',
].join('\n');

async function guestTree(builtin: string): Promise<{ tree: string; initrd: string }> {
  const tree = await tempDir();
  await mkdir(join(tree, 'usr/lib/modules', RELEASE), { recursive: true });
  await writeFile(join(tree, 'usr/lib/modules', RELEASE, 'modules.builtin'), builtin);
  return { tree, initrd: join(tree, 'boot', `initrd.img-${RELEASE}`) };
}

describe('the initramfs check before the VM is built', () => {
  it('passes an initramfs that carries the virtio disk drivers', async () => {
    const { tree, initrd } = await guestTree('');
    const verdict = await checkInitramfs(
      tree,
      { release: RELEASE, kernel: '', initrd },
      async () => DEBIAN_LISTING,
    );
    assert.deepEqual(verdict, { ok: true });
  });

  it('counts drivers built into the kernel', async () => {
    const { tree, initrd } = await guestTree(
      'kernel/drivers/virtio/virtio_pci.ko\nkernel/drivers/scsi/virtio_scsi.ko\n',
    );
    const verdict = await checkInitramfs(
      tree,
      { release: RELEASE, kernel: '', initrd },
      async () => 'usr/lib/modules/6.1.0-18-amd64/kernel/fs/ext4/ext4.ko\n',
    );
    assert.deepEqual(verdict, { ok: true });
  });

  it('names what is missing and the command that adds it, for Debian and for RHEL', async () => {
    const { tree, initrd } = await guestTree('');
    const debian = await checkInitramfs(
      tree,
      { release: RELEASE, kernel: '', initrd },
      async () => 'usr/lib/modules/6.1.0-18-amd64/kernel/fs/ext4/ext4.ko\n',
    );
    assert.deepEqual(debian, {
      ok: false,
      missing: ['virtio_pci', 'virtio_blk'],
      command: `printf '%s\\n' virtio_pci virtio_blk >> /etc/initramfs-tools/modules && update-initramfs -u -k ${RELEASE}`,
    });
    const rhel = await checkInitramfs(
      tree,
      { release: RELEASE, kernel: '', initrd: join(tree, 'boot', `initramfs-${RELEASE}.img`) },
      async (_tree, _initrd, tool) => {
        assert.equal(tool, 'lsinitrd', 'RHEL’s initramfs is listed with lsinitrd');
        return '-rw-r--r--   1 root root  1 Jan 1 00:00 usr/lib/modules/x/kernel/drivers/virtio/virtio_pci.ko.xz\n';
      },
    );
    assert.equal(rhel.ok, false);
    assert.match(
      rhel.ok === false ? rhel.command : '',
      /^dracut -f --add-drivers "virtio_blk" \/boot\/initramfs-6\.1\.0-18-amd64\.img/,
    );
  });

  it('says it could not check when no tool can list the initramfs', async () => {
    const { tree, initrd } = await guestTree('');
    const verdict = await checkInitramfs(
      tree,
      { release: RELEASE, kernel: '', initrd },
      async () => null,
    );
    assert.equal(verdict.ok, null);
  });

  it('will not rebuild without the guest’s own tool: nothing written, the command for the source', async (t) => {
    if (process.getuid?.() !== 0) {
      t.skip(
        'SKIPPED LOUDLY: the rebuild runs as root only; the refusal without root is the same path',
      );
      return;
    }
    const { tree, initrd } = await guestTree('');
    const verdict = {
      ok: false as const,
      missing: ['virtio_pci', 'virtio_blk'],
      command: 'update-initramfs -u -k 6.1.0-18-amd64',
    };
    await assert.rejects(
      rebuildInitramfs(tree, { release: RELEASE, kernel: '', initrd }, verdict),
      (error: Error & { code?: string }) =>
        error.code === 'VM_FAILED' &&
        /the guest has no update-initramfs to rebuild it\. Nothing was built\. Or, on the source, run: update-initramfs -u -k/.test(
          error.message,
        ),
    );
    assert.equal(existsSync(join(tree, 'etc/initramfs-tools/modules')), false, 'nothing written');
  });
});
