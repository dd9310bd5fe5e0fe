import { P2VError } from '../../shared/errors.ts';
import type { DiskPlan } from '../../shared/vm-image.ts';
import { shellQuote } from '../shell-command.ts';
import { mapperName, plannedVolumes, rootSubvolume, type PlannedVolume } from './plan-volumes.ts';

/** Filesystems the helper makes with the guest's own tools (the ESP stays the host's). */
export const HELPER_FILESYSTEMS = new Set(['ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'swap']);

/** What the helper prints on the console: a step begins, and how the run ended. */
export const HELPER_STEP = 'P2V-HELPER-STEP';
export const HELPER_EXIT = 'P2V-HELPER-EXIT';

/** Where the VM's disk is mounted inside the helper, and the disk itself. */
const TARGET = '/run/p2v/target';
const DISK = '/dev/vdb';

/** Settings for LVM without udev or a writable /etc: nodes made by LVM, no backups. */
const LVM_CONFIG =
  'global { locking_dir = "/run/lock/lvm" } backup { backup = 0 archive = 0 } activation { udev_sync = 0 udev_rules = 0 } devices { obtain_device_list_from_udev = 0 use_devicesfile = 0 }';

/** Kernel modules the guest's modprobe loads for each filesystem (built in, it is a no-op). */
const FS_MODULES: Record<string, string> = {
  xfs: 'xfs',
  btrfs: 'btrfs',
  ext2: 'ext4',
  ext3: 'ext4',
  ext4: 'ext4',
};

/** The helper's /init: busybox, the bootstrap modules, the guest's tree, then the build script. */
export const HELPER_INIT = `#!/bin/sh
export PATH=/bin
/bin/busybox --install -s /bin
mount -t devtmpfs dev /dev
mount -t proc proc /proc
mount -t sysfs sys /sys
for m in /modules/*.ko; do insmod "$m" || echo "${HELPER_STEP} insmod $m failed"; done
n=0
while [ ! -b /dev/vda ] || [ ! -b ${DISK} ]; do
  n=$((n + 1)); [ $n -gt 600 ] && break; sleep 0.1
done
mkdir -p /sbin
printf '#!/bin/sh\\nexec /bin/busybox chroot /t modprobe "$@"\\n' > /sbin/modprobe
chmod 755 /sbin/modprobe
echo /sbin/modprobe > /proc/sys/kernel/modprobe
rc=99
if mount -t ext4 -o ro /dev/vda /t; then
  mount --bind /dev /t/dev && mount -t proc proc /t/proc && mount -t sysfs sys /t/sys &&
    mount -t tmpfs -o mode=755 run /t/run && cp /build.sh /t/run/p2v-build.sh &&
    chroot /t /bin/sh /run/p2v-build.sh
  rc=$?
else
  echo "${HELPER_STEP} the guest's tree could not be mounted"
fi
sync
echo "${HELPER_EXIT} $rc"
poweroff -f
`;

function checked(value: string, what: string, pattern: RegExp): string {
  if (!pattern.test(value))
    throw new P2VError('BAD_ARGUMENT', `${what} ${JSON.stringify(value)} is not valid`);
  return value;
}

/** The device a volume is on, inside the helper. */
function deviceOf(volume: PlannedVolume): string {
  return volume.lv
    ? `/dev/mapper/${mapperName(volume.lv.group, volume.lv.name)}`
    : `${DISK}${volume.partition}`;
}

function mkfsCommand(volume: PlannedVolume, device: string): string {
  const fs = volume.fsType as string;
  const uuid = volume.uuid ? checked(volume.uuid, 'the UUID', /^[0-9A-Fa-f-]{8,64}$/) : null;
  const label = volume.label;
  const words: string[] = (() => {
    switch (fs) {
      case 'swap':
        return ['mkswap', ...(label ? ['-L', label] : []), ...(uuid ? ['-U', uuid] : [])];
      case 'xfs':
        // An XFS label holds 12 bytes.
        return [
          'mkfs.xfs',
          '-f',
          '-q',
          ...(label ? ['-L', label.slice(0, 12)] : []),
          ...(uuid ? ['-m', `uuid=${uuid}`] : []),
        ];
      case 'btrfs':
        return [
          'mkfs.btrfs',
          '-f',
          '-q',
          ...(label ? ['-L', label] : []),
          ...(uuid ? ['-U', uuid] : []),
        ];
      default:
        return [
          'mke2fs',
          '-F',
          '-q',
          '-t',
          fs,
          ...(label ? ['-L', label] : []),
          ...(uuid ? ['-U', uuid] : []),
        ];
    }
  })();
  return [...words, device].map(shellQuote).join(' ');
}

/** One mount of the VM's filesystems inside the helper: a volume, or a btrfs subvolume of one. */
interface HelperMount {
  mountpoint: string;
  fsType: string;
  device: string;
  subvolume?: string;
}

/** Where a volume is mounted: itself, or each of its btrfs subvolumes that has a mount point. */
function mountsOf(volume: PlannedVolume): HelperMount[] {
  const base = { fsType: volume.fsType as string, device: deviceOf(volume) };
  const own = volume.mountpoint as string;
  const subvolumes = (volume.subvolumes ?? []).filter(
    (s): s is { path: string; mountpoint: string } => s.mountpoint !== null,
  );
  return [
    ...(rootSubvolume(volume) ? [] : [{ ...base, mountpoint: own }]),
    ...subvolumes.map((s) => ({ ...base, mountpoint: s.mountpoint, subvolume: s.path })),
  ];
}

/**
 * A btrfs filesystem's subvolumes, made from its top level, parents first (a parent that is not
 * one itself becomes a folder); the one mounted where the filesystem is becomes the default.
 */
function subvolumeCommands(volume: PlannedVolume, device: string): string[] {
  const top = `/run/p2v/top${volume.partition}${volume.lv ? `-${volume.lv.name}` : ''}`;
  const lines = [`mkdir -p ${shellQuote(top)}`, `mount -t btrfs ${device} ${shellQuote(top)}`];
  for (const subvolume of volume.subvolumes ?? []) {
    const path = `${top}/${subvolume.path}`;
    lines.push(
      `step btrfs subvolume ${subvolume.path}`,
      `mkdir -p ${shellQuote(path.slice(0, path.lastIndexOf('/')))}`,
      `btrfs subvolume create ${shellQuote(path)} >/dev/null`,
    );
  }
  const root = rootSubvolume(volume);
  if (root) lines.push(`btrfs subvolume set-default ${shellQuote(`${top}/${root.path}`)}`);
  lines.push(`umount ${shellQuote(top)}`);
  return lines;
}

/** What the build script is told besides the plan. */
export interface HelperScriptOptions {
  /** Mount points whose filesystems the host made (the ESP): hidden from the copy. */
  hostMade: string[];
  /** The received tree has no /lost+found (the transport's own is not the source's). */
  dropLostFound: boolean;
}

/**
 * The script the helper runs as the guest, inside its tree: the volume groups and logical
 * volumes by their names, each filesystem by its type, label and UUID, mounted as the VM will
 * mount them, then the tree copied in with everything `cp -a` keeps (owners, modes, times, hard
 * links, symlinks, devices, xattrs including SELinux labels and ACLs, sparse files).
 */
export function helperBuildScript(plan: DiskPlan, options: HelperScriptOptions): string {
  const volumes = plannedVolumes(plan).filter((v) => v.role !== 'esp');
  const lines = [
    'set -eu',
    'export PATH=/usr/sbin:/usr/bin:/sbin:/bin',
    'export LVM_SUPPRESS_FD_WARNINGS=1',
    `step() { echo "${HELPER_STEP} $*"; }`,
    `lvm_config=${shellQuote(LVM_CONFIG)}`,
    'lvm() { sub=$1; shift; command lvm "$sub" --config "$lvm_config" "$@"; }',
    `mkdir -p /run/lock/lvm ${TARGET}`,
  ];
  const modules = new Set(volumes.map((v) => FS_MODULES[v.fsType ?? ''] ?? '').filter(Boolean));
  if (plan.partitions.some((p) => p.volumeGroup)) modules.add('dm-mod');
  if (modules.size > 0) lines.push(`modprobe -a ${[...modules].join(' ')} || true`);
  plan.partitions.forEach((p, i) => {
    const group = p.volumeGroup;
    if (!group) return;
    const pv = `${DISK}${i + 1}`;
    lines.push(
      `step volume group ${group.name} on ${pv}`,
      `lvm pvcreate -ff -y ${pv}`,
      `lvm vgcreate ${shellQuote(group.name)} ${pv}`,
      ...group.logicalVolumes.map(
        (lv) =>
          `lvm lvcreate -y -Wn -Zn -L ${Math.ceil(lv.sizeBytes / 512) * 512}b -n ${shellQuote(lv.name)} ${shellQuote(group.name)}`,
      ),
    );
  });
  for (const volume of volumes) {
    if (!volume.fsType || !HELPER_FILESYSTEMS.has(volume.fsType)) continue;
    const device = deviceOf(volume);
    lines.push(`step ${volume.fsType} on ${device}`, mkfsCommand(volume, device));
    if (volume.fsType === 'btrfs' && volume.subvolumes?.length)
      lines.push(...subvolumeCommands(volume, device));
  }
  // Outer first: / before /boot before /boot/efi.
  const depth = (m: string): number => (m === '/' ? 0 : m.split('/').length - 1);
  const mounted = volumes
    .filter((v) => v.role === 'filesystem' && v.mountpoint?.startsWith('/'))
    .flatMap(mountsOf)
    .sort((a, b) => depth(a.mountpoint) - depth(b.mountpoint));
  for (const mount of mounted) {
    const at = `${TARGET}${mount.mountpoint === '/' ? '' : mount.mountpoint}`;
    const options = mount.subvolume ? ` -o ${shellQuote(`subvol=${mount.subvolume}`)}` : '';
    lines.push(
      `mkdir -p ${shellQuote(at)}`,
      `mount -t ${mount.fsType}${options} ${mount.device} ${shellQuote(at)}`,
    );
  }
  // What the host made stays out of the copy: an empty, read-only folder over its mount point.
  for (const mountpoint of options.hostMade)
    lines.push(`mount -t tmpfs -o ro,size=4k p2v-empty ${shellQuote(mountpoint)}`);
  lines.push('step copy', `cp -a --one-file-system /. ${TARGET}/`);
  if (options.dropLostFound) lines.push(`rmdir ${TARGET}/lost+found 2>/dev/null || true`);
  if (plan.partitions.some((p) => p.volumeGroup))
    // RHEL 9's LVM only opens the devices listed here, by the physical server's ids.
    lines.push(`rm -f ${TARGET}/etc/lvm/devices/system.devices`);
  lines.push('step unmount', 'sync');
  for (const mount of [...mounted].reverse())
    lines.push(
      `umount ${shellQuote(`${TARGET}${mount.mountpoint === '/' ? '' : mount.mountpoint}`)}`,
    );
  for (const p of plan.partitions)
    if (p.volumeGroup) lines.push(`lvm vgchange -an ${shellQuote(p.volumeGroup.name)}`);
  lines.push('step done', '');
  return lines.join('\n');
}
