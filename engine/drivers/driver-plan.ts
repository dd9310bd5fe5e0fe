import type {
  DriverAction,
  DriverCheck,
  DriverPlan,
  DriverStatus,
  OsRelation,
  PlanBlocker,
  UpdateCondition,
} from '../../shared/driver-plan.ts';
import type { Driver, MachineInspection } from '../../shared/inspection.ts';
import type { ProfileDriver, VmProfile } from '../../shared/vm-profile.ts';
import { compareVersions, majorVersion } from './version-compare.ts';

/**
 * Compares the source machine with the VM a profile describes (claims 11–12): OS type and
 * version, then every driver the VM's hardware needs, and makes the plan a technician reads:
 * drivers to add or update, whether the initramfs must be rebuilt, steps by hand, blockers.
 */
export function planDrivers(
  source: MachineInspection,
  profile: VmProfile,
  condition: UpdateCondition,
): DriverPlan {
  const blockers = findBlockers(source, profile);
  const relation = osRelation(source, profile);
  const wanted = source.os.type === 'linux' ? profile.drivers.linux : profile.drivers.windows;
  const drivers = wanted.map((want) =>
    checkDriver(source, want, findDriver(source.drivers.drivers, want), condition),
  );
  settleAlternatives(wanted, drivers);
  const rebuild = drivers.filter((d) => d.action === 'initramfs').map((d) => d.name);
  const warnings: string[] = [];
  if (source.os.type === 'linux' && source.drivers.initramfs === null)
    warnings.push(
      'The initramfs could not be read: check by hand that it carries the boot-critical drivers listed here.',
    );
  if (wanted.length === 0)
    warnings.push(`The profile names no ${source.os.type} drivers: nothing was compared.`);
  if (relation === 'other-version')
    warnings.push(
      `The VM runs ${profile.os?.name ?? profile.os?.version}; the source runs ${source.os.name}. Drivers were compared version by version.`,
    );
  return {
    profileId: profile.id,
    profileName: profile.name,
    condition,
    os: {
      source: { type: source.os.type, name: source.os.name, version: source.os.version },
      target: profile.os
        ? {
            type: profile.os.type,
            name: profile.os.name ?? profile.os.type,
            version: profile.os.version ?? '',
          }
        : null,
      relation,
    },
    drivers,
    initramfs: {
      rebuild: rebuild.length > 0,
      modules: rebuild,
      command: rebuild.length > 0 ? initramfsCommand(source, rebuild) : null,
    },
    toAdd: drivers.filter((d) => d.action === 'add').map((d) => d.name),
    toUpdate: drivers.filter((d) => d.action === 'update').map((d) => d.name),
    manual: drivers.filter((d) => d.action === 'manual' || d.action === 'add').map((d) => d.advice),
    blockers,
    warnings,
  };
}

/**
 * A missing driver whose group has a member present asks nothing: the VM is given the device
 * the present one drives (a virtio-blk disk rather than virtio-scsi).
 */
function settleAlternatives(wanted: ProfileDriver[], checks: DriverCheck[]): void {
  for (const [i, check] of checks.entries()) {
    const group = wanted[i]?.group;
    if (check.status !== 'missing' || !group) continue;
    const present = checks.find((c, j) => wanted[j]?.group === group && c.status !== 'missing');
    if (!present) continue;
    check.action = 'none';
    check.advice = `${check.name} is missing; ${present.name} drives the same kind of device, so give the VM that one.`;
  }
}

function findBlockers(source: MachineInspection, profile: VmProfile): PlanBlocker[] {
  const blockers: PlanBlocker[] = [];
  if (profile.os && profile.os.type !== source.os.type)
    blockers.push({
      code: 'OS_TYPE',
      message: `The source runs ${source.os.type === 'linux' ? 'Linux' : 'Windows'} but the VM runs ${profile.os.type === 'linux' ? 'Linux' : 'Windows'}: a machine cannot move onto another OS type. Pick a VM with the same OS type.`,
    });
  if (!profile.firmware.includes(source.bootMode))
    blockers.push({
      code: 'FIRMWARE',
      message: `The source boots with ${source.bootMode.toUpperCase()} but ${profile.name} offers only ${profile.firmware.map((f) => f.toUpperCase()).join(', ')}: its boot loader would not start. Pick a profile with ${source.bootMode.toUpperCase()} firmware.`,
    });
  if (!profile.arch.includes(source.os.arch))
    blockers.push({
      code: 'ARCH',
      message: `The source is ${source.os.arch}; ${profile.name} runs ${profile.arch.join(', ')}.`,
    });
  return blockers;
}

function osRelation(source: MachineInspection, profile: VmProfile): OsRelation {
  if (!profile.os) return 'no-target-os';
  if (profile.os.type !== source.os.type) return 'other-type';
  if (profile.os.version !== undefined && profile.os.version !== source.os.version)
    return 'other-version';
  return 'same';
}

function findDriver(drivers: Driver[], want: ProfileDriver): Driver | undefined {
  const names = new Set([want.name, ...want.aliases].map((n) => n.toLowerCase()));
  const matches = drivers.filter((d) => names.has(d.name.toLowerCase()));
  // The loaded one first, then one with a version: the most telling entry for the comparison.
  return matches.sort(
    (a, b) => Number(b.loaded) - Number(a.loaded) || Number(!!b.version) - Number(!!a.version),
  )[0];
}

function checkDriver(
  source: MachineInspection,
  want: ProfileDriver,
  have: Driver | undefined,
  condition: UpdateCondition,
): DriverCheck {
  const sourceVersion = have?.version ?? null;
  const targetVersion = want.version ?? null;
  const status: DriverStatus = !have
    ? 'missing'
    : sourceVersion && targetVersion
      ? versionStatus(compareVersions(sourceVersion, targetVersion))
      : 'ok';
  const base = {
    name: want.name,
    role: want.role,
    bootCritical: want.bootCritical,
    status,
    sourceVersion,
    targetVersion,
    sourceState: !have
      ? ('absent' as const)
      : have.loaded
        ? ('loaded' as const)
        : have.builtin
          ? ('builtin' as const)
          : ('on-disk' as const),
    inInitramfs: have?.inInitramfs ?? null,
  };
  const [action, advice] = decide(source, want, have, status, condition);
  return { ...base, action, advice };
}

function versionStatus(order: number): DriverStatus {
  return order < 0 ? 'older' : order > 0 ? 'newer' : 'ok';
}

function decide(
  source: MachineInspection,
  want: ProfileDriver,
  have: Driver | undefined,
  status: DriverStatus,
  condition: UpdateCondition,
): [DriverAction, string] {
  const from = want.obtainFrom ? ` from ${want.obtainFrom}` : '';
  if (!have) {
    if (source.os.type === 'windows')
      return [
        'add',
        `Add ${want.name} (${want.role})${from}${want.bootCritical ? ' before the first boot: the VM cannot reach its disk without it (pnputil /add-driver on the source, or DISM /Add-Driver into the image)' : ''}.`,
      ];
    return [
      'manual',
      `The kernel ${source.os.kernel} has no ${want.name} module: install a kernel that has it${from}${want.bootCritical ? ', or the VM will not find its root disk' : ''}.`,
    ];
  }
  if (status !== 'ok' && wantsUpdate(have.version ?? '', want.version ?? '', condition))
    return [
      'update',
      `Update ${want.name} from ${have.version} to ${want.version}${from} (the source's is ${status}).`,
    ];
  if (
    source.os.type === 'linux' &&
    want.bootCritical &&
    !have.builtin &&
    have.inInitramfs === false
  )
    return [
      'initramfs',
      `${want.name} is on disk but not in the initramfs: rebuild it so the VM finds its root disk.`,
    ];
  if (
    source.os.type === 'windows' &&
    want.bootCritical &&
    have.startMode &&
    !/^boot$/i.test(have.startMode)
  )
    return [
      'manual',
      `${want.name} is installed but starts "${have.startMode}": run sc.exe config ${have.name} start= boot before the cutover.`,
    ];
  const version = have.version ? ` ${have.version}` : '';
  return [
    'none',
    `${want.name}${version} is ${have.loaded ? 'loaded' : have.builtin ? 'built in' : 'installed'}.`,
  ];
}

function wantsUpdate(have: string, want: string, condition: UpdateCondition): boolean {
  if (condition === 'missing' || !have || !want) return false;
  if (condition === 'any') return compareVersions(have, want) !== 0;
  return majorVersion(have) !== majorVersion(want);
}

function initramfsCommand(source: MachineInspection, modules: string[]): string {
  const list = modules.join(' ');
  if (source.drivers.initramfs?.tool === 'lsinitrd')
    return `dracut -f --add-drivers "${list}" /boot/initramfs-${source.os.kernel}.img ${source.os.kernel}`;
  return `printf '%s\\n' ${list} >> /etc/initramfs-tools/modules && update-initramfs -u -k ${source.os.kernel}`;
}
