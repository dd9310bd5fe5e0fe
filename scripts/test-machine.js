// The first step of `npm test`: makes sure this machine has what the tests need, before any
// test starts. The npm packages (installed with `npm ci` when node_modules is missing) and the
// Debian packages below: on Debian or Ubuntu as root the missing ones are installed with
// apt-get, and it says so; elsewhere it stops at once with the exact command to run.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

/** Debian packages the tests use, and what for. */
export const SYSTEM_PACKAGES = {
  rsync: 'the benchmark and the copy tests compare with rsync',
  chromium: "the wizard's browser tests and the report's PDF export",
  'fonts-wqy-microhei': 'Chinese glyphs in screenshots and PDFs',
  e2fsprogs: 'ext4 filesystems in VM images (mke2fs -d, e2fsck)',
  fdisk: 'partition tables in VM images (sfdisk)',
  dosfstools: 'the EFI system partition (mkfs.vfat)',
  mtools: 'files onto the EFI system partition without mounting it',
  'qemu-utils': 'qcow2, vmdk and vhdx images (qemu-img)',
  'grub-common': "the guest's boot loader checks",
  'grub-efi-amd64-bin': "GRUB's EFI modules for the image builder's UEFI boot test",
  'qemu-system-x86': 'booting the built VM',
  ovmf: 'UEFI boots',
  mmdebstrap: 'a real Debian root to migrate and boot',
  'libvirt-clients': "the VM's libvirt domain (virsh)",
  'libxml2-utils': "the domain XML against libvirt's schema (xmllint)",
  attr: 'extended-attribute tests (setfattr, getfattr)',
  acl: 'ACL tests (setfacl)',
  'libcap2-bin': 'file capability tests (setcap)',
  'busybox-static': 'the helper VM that makes XFS, btrfs and LVM in the guest’s own kernel',
  xfsprogs: 'reading back the XFS the helper made (xfs_repair -n, xfs_db)',
  'btrfs-progs': 'reading back the btrfs the helper made (btrfs check)',
  iproute2: 'a network namespace with a bridge the booted VM answers on (ip netns)',
  'network-manager': 'NetworkManager reads the keyfiles the VM build rewrites (nmcli --offline)',
};

function missingPackages() {
  const names = Object.keys(SYSTEM_PACKAGES);
  // One dpkg-query for all: an uninstalled package prints no "install ok installed" line.
  const query = spawnSync('dpkg-query', ['-W', '-f=${Package} ${Status}\\n', ...names], {
    encoding: 'utf8',
  });
  const installed = new Set(
    query.stdout
      .split('\n')
      .filter((line) => line.endsWith(' install ok installed'))
      .map((line) => line.split(' ')[0].split(':')[0]),
  );
  return names.filter((name) => !installed.has(name));
}

function isDebianFamily() {
  try {
    const release = readFileSync('/etc/os-release', 'utf8');
    return /^(ID|ID_LIKE)=.*\b(debian|ubuntu)\b/m.test(release);
  } catch {
    return false;
  }
}

function run(command, args, env = {}) {
  process.stderr.write(`test setup: ${[command, ...args].join(' ')}\n`);
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  if (result.status !== 0) {
    process.stderr.write(`test setup: that failed (exit ${result.status ?? result.signal})\n`);
    process.exit(1);
  }
}

function ensureSystemPackages() {
  if (process.platform !== 'linux' || !existsSync('/usr/bin/dpkg')) {
    process.stderr.write(
      'test setup: the tests need a Debian or Ubuntu machine (dpkg, apt-get); these packages: ' +
        `${Object.keys(SYSTEM_PACKAGES).join(' ')}\n`,
    );
    process.exit(1);
  }
  const missing = missingPackages();
  if (missing.length === 0) return;
  const install = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  const listed = missing.map((name) => `  ${name}: ${SYSTEM_PACKAGES[name]}`).join('\n');
  if (process.getuid?.() !== 0 || !isDebianFamily()) {
    process.stderr.write(
      `test setup: these Debian packages are missing:\n${listed}\nRun, as root:\n  ${install}\nthen npm test again.\n`,
    );
    process.exit(1);
  }
  process.stderr.write(`test setup: installing the missing Debian packages:\n${listed}\n`);
  const quiet = { DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], quiet);
  // Without the recommended packages: 79 packages instead of 290 (gstreamer, ffmpeg, samba and
  // perl web libraries, qemu's GUI went), 31 s instead of 94 s; no test uses them.
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], quiet);
}

function ensureNodeModules() {
  if (existsSync(join(root, 'node_modules', '.package-lock.json'))) return;
  process.stderr.write('test setup: node_modules is missing; installing the npm packages\n');
  run('npm', ['ci'], { ELECTRON_SKIP_BINARY_DOWNLOAD: '1' });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  ensureSystemPackages();
  ensureNodeModules();
}
