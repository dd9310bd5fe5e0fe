import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { P2VError } from '../../shared/errors.ts';
import { compareVersions } from '../drivers/version-compare.ts';

/** The guest's own kernel and initramfs in the received tree, for a direct boot. */
export interface GuestKernel {
  release: string;
  kernel: string;
  initrd: string;
}

/**
 * Finds the newest kernel in the tree's /boot that has an initramfs beside it: Debian's
 * `vmlinuz-R` + `initrd.img-R`, or RHEL's `vmlinuz-R` + `initramfs-R.img`.
 */
export async function findGuestKernel(tree: string): Promise<GuestKernel> {
  const boot = join(tree, 'boot');
  const names = await readdir(boot).catch(() => [] as string[]);
  const found = names
    .filter((n) => n.startsWith('vmlinuz-'))
    .map((n) => n.slice('vmlinuz-'.length))
    .map((release) => {
      const initrd = [`initrd.img-${release}`, `initramfs-${release}.img`].find((i) =>
        names.includes(i),
      );
      return initrd
        ? { release, kernel: join(boot, `vmlinuz-${release}`), initrd: join(boot, initrd) }
        : null;
    })
    .filter((k): k is GuestKernel => k !== null)
    .sort((a, b) => compareVersions(b.release, a.release));
  const newest = found[0];
  if (!newest)
    throw new P2VError(
      'BAD_ARGUMENT',
      `no kernel with an initramfs in ${boot}: a direct boot needs both`,
    );
  return newest;
}
