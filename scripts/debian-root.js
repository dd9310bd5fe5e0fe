// The Debian root the VM boot test migrates, builds into images and boots: made with mmdebstrap
// (about three minutes on a fresh machine). `npm test` makes it while the other test files run
// and hands it to the boot test in P2V_DEBOOTSTRAP_ROOT.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** What the root holds beyond minbase: a kernel, GRUB for BIOS and UEFI, the tools the test uses. */
const INCLUDE = [
  'linux-image-amd64',
  'systemd-sysv',
  'udev',
  'grub-pc-bin',
  'grub-efi-amd64-bin',
  'sqlite3',
  'lvm2',
  'xfsprogs',
  'btrfs-progs',
  'ifupdown',
  'netplan.io',
];

/** Files a finished root has: a run killed half-way leaves a root without some of them. */
const MADE = [
  'usr/lib/grub/x86_64-efi/normal.mod',
  'usr/bin/sqlite3',
  'sbin/lvm',
  'sbin/mkfs.xfs',
  'sbin/mkfs.btrfs',
  'sbin/ifup',
  'usr/sbin/netplan',
];

/** Whether `dir` holds a finished root with everything the test uses. */
export function debianRootReady(dir) {
  return MADE.every((path) => existsSync(join(dir, path)));
}

/**
 * What dpkg does not unpack, as Debian's own minimal images do: documentation, manual pages and
 * translations (67 MiB the boot test would copy, build into images and read back in the VM);
 * the copyright files stay.
 */
const LEAVE_OUT = [
  '/usr/share/doc/*',
  '/usr/share/man/*',
  '/usr/share/locale/*',
  '/usr/share/info/*',
];
const KEEP = ['/usr/share/doc/*/copyright'];

/**
 * The modules the root's initramfs carries: the VM's disk and bus drivers and the filesystems the
 * boot test's disks have (their own dependencies come along). Listed, as a host-only initramfs
 * is (dracut's default on RHEL): Debian's MODULES=most took 71 s here (a modprobe per module)
 * for a 40 MB initramfs, this 10 s for 12 MB, which every emulated boot then reads and unpacks.
 */
export const BOOT_MODULES = ['virtio_pci', 'virtio_blk', 'virtio_scsi', 'ext4', 'xfs', 'btrfs'];

/**
 * The kernel's package and the packages that carry initramfs hooks (lvm2, btrfs-progs, udev)
 * each ask for the initramfs: `update-initramfs` is a no-op while the packages are installed,
 * and it is made once after.
 */
const DEFER_INITRAMFS = [
  'chroot "$1" dpkg-divert --quiet --local --rename --add /usr/sbin/update-initramfs',
  'ln -s /bin/true "$1/usr/sbin/update-initramfs"',
];
const MAKE_INITRAMFS = [
  'rm "$1/usr/sbin/update-initramfs"',
  'chroot "$1" dpkg-divert --quiet --local --rename --remove /usr/sbin/update-initramfs',
  `sed -i 's/^MODULES=.*/MODULES=list/' "$1/etc/initramfs-tools/initramfs.conf"`,
  `printf '%s\\n' ${BOOT_MODULES.join(' ')} >> "$1/etc/initramfs-tools/modules"`,
  'chroot "$1" update-initramfs -c -k all',
];

/**
 * Makes the root in `dir` (which must not exist or be empty); resolves with mmdebstrap's exit
 * code. At the lowest CPU priority: on a full test run it goes beside the other files, and the
 * kernel's initramfs and Python's byte-compiling inside it took CPU from the ones that measure
 * with it (the cutover matrix went from 83 to 126 s beside it); niced, it takes what they leave.
 */
export function makeDebianRoot(dir, log = 'ignore') {
  return new Promise((resolve) => {
    const child = spawn(
      'nice',
      [
        '-n',
        '19',
        'mmdebstrap',
        '--mode=root',
        '--variant=minbase',
        `--include=${INCLUDE.join(',')}`,
        // /usr merged by symlinks and usr-is-merged installed first, as debootstrap does: left
        // to apt, `usr-is-merged | usrmerge` brought usrmerge and Perl (57 MiB the VM never runs).
        '--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr',
        ...LEAVE_OUT.map((path) => `--dpkgopt=path-exclude=${path}`),
        ...KEEP.map((path) => `--dpkgopt=path-include=${path}`),
        ...DEFER_INITRAMFS.map((command) => `--essential-hook=${command}`),
        ...MAKE_INITRAMFS.map((command) => `--customize-hook=${command}`),
        'bookworm',
        dir,
        'http://deb.debian.org/debian',
      ],
      { stdio: ['ignore', log, log] },
    );
    child.once('error', () => resolve(127));
    child.once('exit', (code) => {
      if (code === 0) slimRoot(dir);
      resolve(code ?? 1);
    });
  });
}

/**
 * Trims the root to what a server needs, as server and cloud images often are: what
 * `apt-get clean` removes, the package lists, and the kernel's drivers for sound, graphics,
 * cameras, Wi-Fi, InfiniBand and sensors (depmod then lists what is left). That is 350 of its
 * 921 MiB that every copy, image build and check of the boot test would otherwise carry; kept:
 * everything the system runs from, the storage and Ethernet drivers. Run again, it does nothing.
 */
export function slimRoot(dir) {
  const drop = (folder, wanted) => {
    let names = [];
    try {
      names = readdirSync(join(dir, folder));
    } catch {
      return 0;
    }
    const dropped = names.filter(wanted);
    for (const name of dropped) rmSync(join(dir, folder, name), { recursive: true, force: true });
    return dropped.length;
  };
  drop('var/cache/apt/archives', (name) => name.endsWith('.deb'));
  drop('var/cache/apt', (name) => name.endsWith('.bin'));
  drop('var/lib/apt/lists', (name) => name !== 'lock' && name !== 'partial');
  const unused = ['sound', 'drivers/gpu', 'drivers/media', 'drivers/net/wireless'];
  unused.push('drivers/infiniband', 'drivers/iio', 'drivers/staging', 'drivers/bluetooth');
  let releases = [];
  try {
    releases = readdirSync(join(dir, 'usr/lib/modules'));
  } catch {
    return;
  }
  for (const release of releases) {
    const kernel = `usr/lib/modules/${release}/kernel`;
    let dropped = 0;
    for (const path of unused) {
      const at = path.lastIndexOf('/');
      const [folder, name] = at < 0 ? ['', path] : [path.slice(0, at), path.slice(at + 1)];
      dropped += drop(join(kernel, folder), (entry) => entry === name);
    }
    if (dropped > 0) spawnSync('chroot', [dir, 'depmod', '-a', release], { stdio: 'ignore' });
  }
}
