import type {
  BlockDevice,
  Driver,
  MachineInspection,
  Service,
  Volume,
} from '../../shared/inspection.ts';
import { parseDriverquery, type WindowsDriverService } from './driverquery.ts';
import type { InspectionHost } from './inspection-host.ts';
import { InspectionNotes } from './inspection-notes.ts';
import { parsePnputil, type DriverPackage } from './pnputil.ts';
import {
  driveLetter,
  parseWindowsFacts,
  WINDOWS_FACTS_SCRIPT,
  type WindowsFacts,
} from './windows-facts.ts';

const POWERSHELL_ARGS = ['-NoProfile', '-NonInteractive', '-Command', WINDOWS_FACTS_SCRIPT];

/** Inspects a Windows machine through PowerShell (CIM, registry), driverquery and pnputil. */
export async function inspectWindows(host: InspectionHost): Promise<MachineInspection> {
  const notes = new InspectionNotes();
  const out = await host.run('powershell.exe', POWERSHELL_ARGS);
  const facts = parseWindowsFacts(out.stdout);
  const services = await readDriverServices(host, notes);
  const packages = await readDriverPackages(host, notes);
  if (facts.bitlocker.length === 0) notes.add('bitlockerUnknown');
  return {
    inspectedAt: new Date().toISOString(),
    hostname: facts.hostname,
    machineId: facts.machineGuid ?? null,
    os: {
      type: 'windows',
      id: /server/i.test(facts.caption) ? 'windows-server' : 'windows',
      name: facts.caption.replace(/^Microsoft\s+/, '').trim(),
      version: facts.version,
      kernel: facts.buildNumber ?? facts.version,
      arch: /64/.test(facts.architecture ?? '') ? 'x64' : (facts.architecture ?? host.arch),
    },
    bootMode: /uefi/i.test(facts.firmware ?? '') ? 'uefi' : 'bios',
    cpus: facts.cpus ?? host.cpus,
    memoryBytes: facts.memoryBytes ?? host.memoryBytes,
    disks: toDisks(facts),
    volumes: toVolumes(facts),
    network: facts.adapters.map((a) => ({
      name: a.Name,
      mac: (a.MacAddress ?? '').replace(/-/g, ':').toLowerCase(),
      addresses: [],
    })),
    services: facts.services.map((s): Service => ({
      name: s.Name,
      description: s.DisplayName ?? '',
      state: s.State.toLowerCase(),
      stopCommand: `sc.exe stop "${s.Name}"`,
      startCommand: `sc.exe start "${s.Name}"`,
    })),
    drivers: {
      tree: 'C:\\Windows\\System32\\DriverStore',
      drivers: mergeDrivers(services, packages),
      initramfs: null,
    },
    safety: {
      hibernation:
        facts.hiberbootEnabled === 1 && facts.hibernateEnabled !== 0
          ? 'fast-startup'
          : facts.hiberbootEnabled == null
            ? 'unknown'
            : 'off',
      encryptedVolumes: facts.bitlocker
        .filter((b) => b.ProtectionStatus === 1 || b.ProtectionStatus === 'On')
        .map((b) => b.MountPoint),
    },
    notes: notes.texts,
    noteMessages: notes.messages,
  };
}

async function readDriverServices(
  host: InspectionHost,
  notes: InspectionNotes,
): Promise<WindowsDriverService[]> {
  const out = await host.run('driverquery.exe', ['/v', '/fo', 'csv']);
  if (out.exitCode !== 0) {
    notes.add('driverqueryFailed', { error: out.stderr.trim() || '—' });
    return [];
  }
  return parseDriverquery(out.stdout);
}

async function readDriverPackages(
  host: InspectionHost,
  notes: InspectionNotes,
): Promise<DriverPackage[]> {
  const out = await host.run('pnputil.exe', ['/enum-drivers']);
  if (out.exitCode !== 0) {
    notes.add('pnputilFailed', { error: out.stderr.trim() || '—' });
    return [];
  }
  return parsePnputil(out.stdout);
}

/** The .inf name without extension, lower-cased: `viostor.inf` → `viostor`. */
function infStem(name: string | null): string | null {
  return name ? name.replace(/\.inf$/i, '').toLowerCase() : null;
}

/**
 * Joins driver services (loaded state, .sys path) with driver-store packages (version,
 * provider) by name: a package's .inf is named after its service for most storage and network
 * drivers. Packages without a service are drivers staged but not in use.
 */
function mergeDrivers(services: WindowsDriverService[], packages: DriverPackage[]): Driver[] {
  const byStem = new Map(packages.map((p) => [infStem(p.originalName) ?? p.publishedName, p]));
  const used = new Set<DriverPackage>();
  const drivers: Driver[] = services.map((s) => {
    const pkg = byStem.get(s.name.toLowerCase());
    if (pkg) used.add(pkg);
    return {
      name: s.name.toLowerCase(),
      version: pkg?.version ?? null,
      file: s.path,
      loaded: /running/i.test(s.state),
      builtin: false,
      inInitramfs: null,
      description: s.displayName,
      startMode: s.startMode,
      ...(pkg ? { provider: pkg.provider, className: pkg.className } : {}),
    };
  });
  for (const pkg of packages)
    if (!used.has(pkg))
      drivers.push({
        name: infStem(pkg.originalName) ?? pkg.publishedName,
        version: pkg.version,
        file: pkg.publishedName,
        loaded: false,
        builtin: false,
        inInitramfs: null,
        provider: pkg.provider,
        className: pkg.className,
      });
  return drivers;
}

function toDisks(facts: WindowsFacts): BlockDevice[] {
  return facts.disks.map((disk) => ({
    name: `Disk ${disk.Number}`,
    path: `\\\\.\\PhysicalDrive${disk.Number}`,
    type: 'disk',
    sizeBytes: disk.Size ?? 0,
    fsType: null,
    label: disk.FriendlyName ?? null,
    uuid: null,
    partUuid: null,
    partitionTable: partitionStyle(disk.PartitionStyle),
    mountpoints: [],
    usedBytes: null,
    availableBytes: null,
    children: facts.partitions
      .filter((p) => p.DiskNumber === disk.Number)
      .map((p) => {
        const letter = driveLetter(p.DriveLetter);
        const volume = facts.volumes.find((v) => driveLetter(v.DriveLetter) === letter);
        return {
          name: `Disk ${disk.Number} Partition ${p.PartitionNumber}`,
          path: `\\\\?\\GLOBALROOT\\Device\\Harddisk${disk.Number}\\Partition${p.PartitionNumber}`,
          type: 'part',
          sizeBytes: p.Size ?? 0,
          fsType: letter ? (volume?.FileSystem ?? null) : null,
          label: (letter ? volume?.FileSystemLabel : null) ?? p.Type ?? null,
          uuid: null,
          partUuid: null,
          partitionTable: null,
          mountpoints: letter ? [`${letter}:\\`] : [],
          usedBytes: volume && letter ? (volume.Size ?? 0) - (volume.SizeRemaining ?? 0) : null,
          availableBytes: volume && letter ? (volume.SizeRemaining ?? null) : null,
          children: [],
        };
      }),
  }));
}

function partitionStyle(style: string | number | null | undefined): string | null {
  if (style === 1 || style === 'MBR') return 'dos';
  if (style === 2 || style === 'GPT') return 'gpt';
  return null;
}

function toVolumes(facts: WindowsFacts): Volume[] {
  return facts.volumes.flatMap((v) => {
    const letter = driveLetter(v.DriveLetter);
    if (!letter) return [];
    const size = v.Size ?? 0;
    const free = v.SizeRemaining ?? 0;
    return [
      {
        device: `${letter}:`,
        mountpoint: `${letter}:\\`,
        fsType: v.FileSystem ?? null,
        sizeBytes: size,
        usedBytes: size - free,
        availableBytes: free,
      },
    ];
  });
}
