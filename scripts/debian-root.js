// The Debian root the VM boot test migrates, builds into images and boots: made with
// debootstrap (about three minutes on a fresh machine, most of it downloads). `npm test` makes it
// while the other test files run and hands it to the boot test in P2V_DEBOOTSTRAP_ROOT.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
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
];

/** Files a finished root has: a run killed half-way leaves a root without some of them. */
const MADE = [
  'usr/lib/grub/x86_64-efi/normal.mod',
  'usr/bin/sqlite3',
  'sbin/lvm',
  'sbin/mkfs.xfs',
  'sbin/mkfs.btrfs',
  'sbin/ifup',
];

/** Whether `dir` holds a finished root with everything the test uses. */
export function debianRootReady(dir) {
  return MADE.every((path) => existsSync(join(dir, path)));
}

/** Makes the root in `dir` (which must not exist or be empty); resolves with debootstrap's exit code. */
export function makeDebianRoot(dir, log = 'ignore') {
  return new Promise((resolve) => {
    const child = spawn(
      'debootstrap',
      [
        '--variant=minbase',
        `--include=${INCLUDE.join(',')}`,
        'bookworm',
        dir,
        'http://deb.debian.org/debian',
      ],
      { stdio: ['ignore', log, log] },
    );
    child.once('error', () => resolve(127));
    child.once('exit', (code) => resolve(code ?? 1));
  });
}
