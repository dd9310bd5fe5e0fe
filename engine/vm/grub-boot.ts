import { open, readdir, readFile, rm } from 'node:fs/promises';
import { pathExists } from '../paths/path-exists.ts';
import { join } from 'node:path';
import { P2VError } from '../../shared/errors.ts';
import type { BootloaderFile, DiskPlan } from '../../shared/vm-image.ts';
import { partitionOffsets } from './partition-table.ts';
import { runTool } from '../inspection/run-tool.ts';
import { runChecked } from './run-checked.ts';
import { mapperName, plannedVolumes, rootSubvolume } from './plan-volumes.ts';

/** Bytes of boot.img that are code: the rest of the first sector holds the partition table. */
const BOOT_CODE = 440;
/** GRUB modules built into the image, enough to find /boot and read the guest's grub.cfg. */
const COMMON_MODULES = [
  'ext2',
  'normal',
  'linux',
  'search',
  'search_fs_uuid',
  'configfile',
  'echo',
  'test',
  'serial',
  'terminal',
  'boot',
  'gzio',
];

/**
 * Where the guest's GRUB finds its configuration: `(hd0,msdosN)/grub` on a /boot partition,
 * `/boot/grub` on the root, or `(lvm/VG-LV)…` on a logical volume, as `grub-install` would set
 * it; `grub2` where the guest keeps it there (RHEL, SUSE); below its subvolume's path on btrfs.
 * The guest's grub.cfg must be there.
 */
export async function grubPrefix(plan: DiskPlan, tree: string): Promise<string> {
  const volumes = plannedVolumes(plan);
  const boot = volumes.find((v) => v.mountpoint === '/boot');
  const holder = boot ?? volumes.find((v) => v.mountpoint === '/');
  const folder = (await pathExists(join(tree, 'boot/grub2/grub.cfg'))) ? 'grub2' : 'grub';
  const config = join(tree, 'boot', folder, 'grub.cfg');
  if (!(await pathExists(config)))
    throw new P2VError(
      'BAD_ARGUMENT',
      `no ${config}: the source's GRUB configuration is needed to boot from the disk`,
    );
  const scheme = plan.table === 'gpt' ? 'gpt' : 'msdos';
  const device = holder?.lv
    ? `lvm/${mapperName(holder.lv.group, holder.lv.name)}`
    : `hd0,${scheme}${holder?.partition ?? 1}`;
  // GRUB reads btrfs paths from the top level, whichever subvolume is the default.
  const subvolume = holder && rootSubvolume(holder);
  return `(${device})${subvolume ? `/${subvolume.path}` : ''}${boot ? '' : '/boot'}/${folder}`;
}

/** GRUB modules that read the filesystems and volume groups /boot may be on. */
function storageModules(plan: DiskPlan): string[] {
  const volumes = plannedVolumes(plan);
  const modules = new Set<string>();
  if (volumes.some((v) => v.lv)) modules.add('lvm');
  for (const v of volumes) if (v.fsType === 'xfs' || v.fsType === 'btrfs') modules.add(v.fsType);
  return [...modules];
}

/**
 * Where distributions keep GRUB's modules for a platform: Debian, Ubuntu and RHEL in
 * `/usr/lib/grub`, SUSE in `/usr/share/grub2`, some older ones in `/usr/lib/grub2`.
 */
const MODULE_FOLDERS = ['usr/lib/grub', 'usr/share/grub2', 'usr/lib/grub2'];

/** The packages that hold them, named for the technician who must install one. */
const MODULE_PACKAGES = {
  'i386-pc': "Debian's grub-pc-bin, RHEL's grub2-pc-modules, SUSE's grub2-i386-pc",
  'x86_64-efi':
    "Debian's grub-efi-amd64-bin, RHEL's grub2-efi-x64-modules, SUSE's grub2-x86_64-efi",
};

/** The guest's own GRUB modules for a platform, from the received tree. */
export async function guestModules(
  tree: string,
  platform: 'i386-pc' | 'x86_64-efi',
): Promise<string> {
  for (const folder of MODULE_FOLDERS) {
    const dir = join(tree, folder, platform);
    if (await pathExists(join(dir, 'normal.mod'))) return dir;
  }
  throw new P2VError(
    'BAD_ARGUMENT',
    `the source has no GRUB for ${platform} (${MODULE_PACKAGES[platform]}; looked in ${MODULE_FOLDERS.map((f) => `/${f}/${platform}`).join(', ')}): boot the VM with its own kernel instead`,
  );
}

/** Where boot.img keeps the first sector of the core image (GRUB's `kernel_sector`). */
const KERNEL_SECTOR_AT = 0x5c;
/** The core image's first blocklist, at the end of its first sector: start, length, segment. */
const BLOCKLIST_START_AT = 512 - 12;

/**
 * Makes a disk boot by itself under a BIOS, as grub-install would, with plain writes: the
 * guest's own GRUB modules made into a core image, and boot.img's code in the first sector. On
 * an MBR disk the core image goes right after the MBR, where both defaults point; on a GPT disk
 * it goes into the BIOS boot partition, and boot.img and the core image's first blocklist are
 * pointed at that partition's sectors, as grub-install does. The guest's grub.cfg then boots it;
 * its UUIDs were kept, so it finds its root.
 */
export async function installGrubBios(
  raw: string,
  plan: DiskPlan,
  tree: string,
  scratch: string,
): Promise<void> {
  const offsets = partitionOffsets(plan);
  let coreAt = 512;
  let room = (offsets[0]?.startBytes ?? 0) - 512;
  if (plan.table === 'gpt') {
    const holder = plan.partitions.findIndex((p) => p.role === 'bios-boot');
    if (holder < 0)
      throw new P2VError(
        'BAD_ARGUMENT',
        'a GRUB BIOS boot from a GPT disk needs a BIOS boot partition in the plan (role bios-boot, 1 MiB)',
      );
    coreAt = offsets[holder]?.startBytes ?? 0;
    room = offsets[holder]?.sizeBytes ?? 0;
  }
  const modules = await guestModules(tree, 'i386-pc');
  const core = `${scratch}.core.img`;
  await runChecked(
    'grub-mkimage',
    [
      '-O',
      'i386-pc',
      '-d',
      modules,
      '-o',
      core,
      '-p',
      await grubPrefix(plan, tree),
      'biosdisk',
      plan.table === 'gpt' ? 'part_gpt' : 'part_msdos',
      ...COMMON_MODULES,
      ...storageModules(plan),
    ],
    'grub-common',
  );
  try {
    const image = await readFile(core);
    if (image.length > room)
      throw new P2VError(
        'IO_ERROR',
        `GRUB's core image (${image.length} bytes) does not fit ${plan.table === 'gpt' ? 'the BIOS boot partition' : 'before the first partition'} (${room})`,
      );
    const boot = Buffer.from((await readFile(join(modules, 'boot.img'))).subarray(0, BOOT_CODE));
    const sector = BigInt(coreAt / 512);
    boot.writeBigUInt64LE(sector, KERNEL_SECTOR_AT);
    image.writeBigUInt64LE(sector + 1n, BLOCKLIST_START_AT);
    const disk = await open(raw, 'r+');
    try {
      await disk.write(boot, 0, BOOT_CODE, 0);
      await disk.write(image, 0, image.length, coreAt);
    } finally {
      await disk.close();
    }
  } finally {
    await rm(core, { force: true });
  }
}

/**
 * Makes a GPT disk boot by itself under UEFI: the guest's own GRUB made into an EFI program at
 * the removable-media path (`\EFI\BOOT\BOOTX64.EFI`) of the EFI system partition, which every
 * UEFI firmware starts without a boot entry in its NVRAM. Returns that file's path in the tree
 * when the ESP is mounted in it: the migration must then never send the source's copy over it.
 */
export async function installGrubEfi(
  raw: string,
  plan: DiskPlan,
  tree: string,
  scratch: string,
): Promise<BootloaderFile | null> {
  const espIndex = plan.partitions.findIndex((p) => p.role === 'esp');
  if (plan.table !== 'gpt' || espIndex < 0)
    throw new P2VError('BAD_ARGUMENT', 'a UEFI boot needs a GPT disk with an EFI system partition');
  const mountpoint = plan.partitions[espIndex]?.mountpoint ?? null;
  const modules = await guestModules(tree, 'x86_64-efi');
  const program = `${scratch}.BOOTX64.EFI`;
  await runChecked(
    'grub-mkimage',
    [
      '-O',
      'x86_64-efi',
      '-d',
      modules,
      '-o',
      program,
      '-p',
      await grubPrefix(plan, tree),
      'part_gpt',
      'fat',
      'efi_gop',
      ...COMMON_MODULES,
      ...storageModules(plan),
    ],
    'grub-common',
  );
  try {
    const esp = `${raw}@@${partitionOffsets(plan)[espIndex]?.startBytes ?? 0}`;
    // The ESP may already hold the source's own \EFI\BOOT, and mmd fails on a folder that exists.
    for (const folder of ['::/EFI', '::/EFI/BOOT'])
      if ((await runTool('mdir', ['-b', '-i', esp, folder])).exitCode !== 0)
        await runChecked('mmd', ['-i', esp, folder], 'mtools');
    await runChecked('mcopy', ['-o', '-i', esp, program, '::/EFI/BOOT/BOOTX64.EFI'], 'mtools');
  } finally {
    await rm(program, { force: true });
  }
  return mountpoint === null ? null : bootProgramInTree(tree, mountpoint);
}

/**
 * The removable-media boot program's path in the tree below the ESP's mount point, spelt as the
 * source's files spell it (FAT ignores case, the migration's index does not); `replaced` when the
 * source has one there, as RHEL's shim fallback is.
 */
async function bootProgramInTree(tree: string, mountpoint: string): Promise<BootloaderFile> {
  let file = mountpoint.replace(/\/+$/, '');
  let replaced = true;
  for (const part of ['EFI', 'BOOT', 'BOOTX64.EFI']) {
    const names = replaced ? await readdir(join(tree, file)).catch(() => [] as string[]) : [];
    const found = names.find((name) => name.toUpperCase() === part);
    if (found === undefined) replaced = false;
    file = `${file}/${found ?? part}`;
  }
  return { file, replaced };
}
