import { P2VError } from '../../shared/errors.ts';
import type {
  BlockDevice,
  Driver,
  DriverInventory,
  MachineInspection,
  Service,
} from '../../shared/inspection.ts';
import { parseInitramfsListing, parseModulesBuiltin } from './initramfs-listing.ts';
import type { InspectionHost } from './inspection-host.ts';
import { InspectionNotes } from './inspection-notes.ts';
import { attachSubvolumes, parseSubvolumeMounts } from './btrfs-subvolumes.ts';
import { LSBLK_ARGS, LSBLK_LEGACY_ARGS, parseLsblk } from './lsblk.ts';
import { moduleNameFromPath, parseModinfo, type ModuleInfo } from './modinfo.ts';
import { parseOsRelease } from './os-release.ts';
import { parseProcModules } from './proc-modules.ts';
import { parseSystemctlUnits, SYSTEMCTL_ARGS } from './systemd-services.ts';

/**
 * Inspects a Linux machine. Each part that cannot be read is left empty with a note saying why,
 * so one missing tool never hides the rest.
 */
export async function inspectLinux(
  host: InspectionHost,
  driversOfInterest: string[],
): Promise<MachineInspection> {
  const notes = new InspectionNotes();
  const release = parseOsRelease(
    (await host.readText('/etc/os-release')) ?? (await host.readText('/usr/lib/os-release')) ?? '',
  );
  const disks = await readDisks(host, notes);
  const volumes = await host.volumes().catch((error: Error) => {
    notes.add('volumesUnreadable', { error: error.message });
    return [];
  });
  const mounts = parseProcMounts((await host.readText('/proc/mounts')) ?? '');
  for (const volume of volumes)
    volume.fsType =
      findMounted(disks, volume.mountpoint)?.fsType ?? mounts.get(volume.mountpoint) ?? null;
  return {
    inspectedAt: new Date().toISOString(),
    hostname: host.hostname,
    machineId: (await host.readText('/etc/machine-id'))?.trim() || null,
    os: {
      type: 'linux',
      id: release.ID ?? 'linux',
      name: release.PRETTY_NAME ?? release.NAME ?? 'Linux',
      version: release.VERSION_ID ?? release.VERSION ?? '',
      kernel: host.kernel,
      arch: host.arch,
    },
    bootMode: (await host.exists('/sys/firmware/efi')) ? 'uefi' : 'bios',
    cpus: host.cpus,
    memoryBytes: host.memoryBytes,
    disks,
    volumes,
    network: host.network,
    services: await readServices(host, notes),
    drivers: await readDrivers(host, driversOfInterest, notes),
    safety: {
      hibernation: 'off',
      encryptedVolumes: flatten(disks)
        .filter((d) => d.type === 'crypt' || d.fsType === 'crypto_LUKS')
        .map((d) => d.path),
    },
    notes: notes.texts,
    noteMessages: notes.messages,
  };
}

async function readDisks(host: InspectionHost, notes: InspectionNotes): Promise<BlockDevice[]> {
  let out = await host.run('lsblk', LSBLK_ARGS);
  if (out.exitCode !== 0 && /unknown column/i.test(out.stderr))
    out = await host.run('lsblk', LSBLK_LEGACY_ARGS);
  if (out.missing) {
    notes.add('lsblkMissing');
    return [];
  }
  if (out.exitCode !== 0) {
    notes.add('lsblkFailed', { error: out.stderr.trim() });
    return [];
  }
  const disks = parseLsblk(out.stdout);
  attachSubvolumes(
    disks,
    parseSubvolumeMounts((await host.readText('/proc/self/mountinfo')) ?? ''),
  );
  return disks;
}

async function readServices(host: InspectionHost, notes: InspectionNotes): Promise<Service[]> {
  const out = await host.run('systemctl', SYSTEMCTL_ARGS);
  if (out.missing || out.exitCode !== 0) {
    notes.add('noServices');
    return [];
  }
  return parseSystemctlUnits(out.stdout);
}

async function readDrivers(
  host: InspectionHost,
  driversOfInterest: string[],
  notes: InspectionNotes,
): Promise<DriverInventory> {
  const tree = `/lib/modules/${host.kernel}`;
  const procModules = await host.readText('/proc/modules');
  const loaded = procModules === null ? [] : parseProcModules(procModules);
  if (procModules === null) notes.add('noProcModules');
  const hasTree = await host.exists(tree);
  if (!hasTree) notes.add('noModuleTree', { tree });
  const builtin = parseModulesBuiltin((await host.readText(`${tree}/modules.builtin`)) ?? '');
  // A kernel without modules.builtin (a monolithic or custom build) still shows the drivers
  // built into it under /sys/module.
  for (const name of driversOfInterest)
    if (!builtin.has(name) && (await activeInSysfs(host, name))) builtin.add(name);
  const available = new Set(
    ((await host.readText(`${tree}/modules.dep`)) ?? '')
      .split('\n')
      .map((line) => moduleNameFromPath(line.split(':')[0] ?? ''))
      .filter((name): name is string => name !== null),
  );
  const loadedNames = new Set(loaded.map((m) => m.name));
  const wanted = [
    ...loadedNames,
    ...driversOfInterest.filter((n) => !loadedNames.has(n) && (available.has(n) || builtin.has(n))),
  ];
  const infos = await readModinfo(host, wanted, notes);
  const initramfs = await readInitramfs(host, notes);
  const drivers: Driver[] = wanted.map((name) => {
    const info = infos.get(name);
    return {
      name,
      version: info?.version ?? info?.kernel ?? (builtin.has(name) ? host.kernel : null),
      file: info?.file ?? null,
      loaded: loadedNames.has(name),
      builtin: builtin.has(name),
      inInitramfs: initramfs ? initramfs.modules.has(name) || builtin.has(name) : null,
      ...(info?.description ? { description: info.description } : {}),
    };
  });
  // Modules in the tree but not loaded are listed by name only: present for the comparison.
  for (const name of available)
    if (!loadedNames.has(name) && !drivers.some((d) => d.name === name))
      drivers.push({
        name,
        version: null,
        file: null,
        loaded: false,
        builtin: false,
        inInitramfs: initramfs ? initramfs.modules.has(name) : null,
      });
  return {
    tree: hasTree ? tree : null,
    drivers,
    initramfs: initramfs ? { path: initramfs.path, tool: initramfs.tool } : null,
  };
}

async function readModinfo(
  host: InspectionHost,
  names: string[],
  notes: InspectionNotes,
): Promise<Map<string, ModuleInfo>> {
  const infos = new Map<string, ModuleInfo>();
  if (names.length === 0) return infos;
  const out = await host.run('modinfo', names);
  if (out.missing) {
    notes.add('modinfoMissing');
    return infos;
  }
  // modinfo prints what it found and complains about the rest on stderr with a non-zero exit.
  try {
    for (const info of parseModinfo(out.stdout)) infos.set(info.name, info);
  } catch (error) {
    if (!(error instanceof P2VError)) throw error;
    notes.add('modinfoUnreadable', { error: error.detail ?? '' });
  }
  return infos;
}

const INITRAMFS_TOOLS = [
  { path: (k: string) => `/boot/initrd.img-${k}`, tool: 'lsinitramfs', args: (p: string) => [p] },
  {
    path: (k: string) => `/boot/initramfs-${k}.img`,
    tool: 'lsinitrd',
    args: (p: string) => [p],
  },
];

async function readInitramfs(
  host: InspectionHost,
  notes: InspectionNotes,
): Promise<{ path: string; tool: string; modules: Set<string> } | null> {
  for (const candidate of INITRAMFS_TOOLS) {
    const path = candidate.path(host.kernel);
    if (!(await host.exists(path))) continue;
    const out = await host.run(candidate.tool, candidate.args(path));
    if (out.missing || out.exitCode !== 0) {
      notes.add('initramfsUnlisted', { path, tool: candidate.tool });
      return null;
    }
    return { path, tool: candidate.tool, modules: parseInitramfsListing(out.stdout) };
  }
  notes.add('noInitramfs', { kernel: host.kernel });
  return null;
}

/** Mount point → filesystem type, from `/proc/mounts` (octal escapes for spaces left as is). */
function parseProcMounts(text: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const [, mountpoint, type] = line.split(' ');
    if (mountpoint && type) types.set(mountpoint, type);
  }
  return types;
}

/** A driver the running kernel has registered: as a module entry or on a bus. */
async function activeInSysfs(host: InspectionHost, name: string): Promise<boolean> {
  for (const path of [
    `/sys/module/${name}`,
    ...['virtio', 'pci', 'vmbus'].map((bus) => `/sys/bus/${bus}/drivers/${name}`),
  ])
    if (await host.exists(path)) return true;
  return false;
}

function flatten(devices: BlockDevice[]): BlockDevice[] {
  return devices.flatMap((d) => [d, ...flatten(d.children)]);
}

function findMounted(disks: BlockDevice[], mountpoint: string): BlockDevice | undefined {
  return flatten(disks).find((d) => d.mountpoints.includes(mountpoint));
}
