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
import type { Message } from '../../shared/i18n/message.ts';
import { keyParam } from '../../shared/i18n/render-message.ts';
import { say } from '../i18n/say.ts';
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
  const warnings: { text: string; message: Message }[] = [];
  if (source.os.type === 'linux' && source.drivers.initramfs === null)
    warnings.push(say('planWarnings.noInitramfs'));
  if (wanted.length === 0) warnings.push(say('planWarnings.noDrivers', { osType: source.os.type }));
  if (relation === 'other-version')
    warnings.push(
      say('planWarnings.otherVersion', {
        vm: profile.os?.name ?? profile.os?.version ?? '',
        source: source.os.name,
      }),
    );
  const manual = drivers.filter((d) => d.action === 'manual' || d.action === 'add');
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
    manual: manual.map((d) => d.advice),
    manualMessages: manual.map((d) => d.adviceMessage),
    blockers,
    warnings: warnings.map((w) => w.text),
    warningMessages: warnings.map((w) => w.message),
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
    const said = say('advice.alternative', { name: check.name, other: present.name });
    check.action = 'none';
    check.advice = said.text;
    check.adviceMessage = said.message;
  }
}

function findBlockers(source: MachineInspection, profile: VmProfile): PlanBlocker[] {
  const blockers: PlanBlocker[] = [];
  const block = (code: PlanBlocker['code'], params: Record<string, string>): void => {
    const said = say(`blockers.${code}`, params);
    blockers.push({ code, message: said.text, text: said.message });
  };
  const osName = (type: string): string => (type === 'linux' ? 'Linux' : 'Windows');
  if (profile.os && profile.os.type !== source.os.type)
    block('OS_TYPE', { source: osName(source.os.type), vm: osName(profile.os.type) });
  if (!profile.firmware.includes(source.bootMode))
    block('FIRMWARE', {
      boot: source.bootMode.toUpperCase(),
      profile: profile.name,
      offered: profile.firmware.map((f) => f.toUpperCase()).join(', '),
    });
  if (!profile.arch.includes(source.os.arch))
    block('ARCH', {
      arch: source.os.arch,
      profile: profile.name,
      offered: profile.arch.join(', '),
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
  const [action, said] = decide(source, want, have, status, condition);
  return { ...base, action, advice: said.text, adviceMessage: said.message };
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
): [DriverAction, { text: string; message: Message }] {
  const from = want.obtainFrom ?? '—';
  const role = keyParam(`roles.${want.role}`);
  if (!have) {
    if (source.os.type === 'windows')
      return [
        'add',
        say(want.bootCritical ? 'advice.addBoot' : 'advice.add', {
          name: want.name,
          role,
          source: from,
        }),
      ];
    return [
      'manual',
      say(want.bootCritical ? 'advice.kernelMissingBoot' : 'advice.kernelMissing', {
        kernel: source.os.kernel,
        name: want.name,
        source: from,
      }),
    ];
  }
  if (status !== 'ok' && wantsUpdate(have.version ?? '', want.version ?? '', condition))
    return [
      'update',
      say('advice.update', {
        name: want.name,
        have: have.version ?? '',
        want: want.version ?? '',
        source: from,
        status: keyParam(`driverStatus.${status}`),
      }),
    ];
  if (
    source.os.type === 'linux' &&
    want.bootCritical &&
    !have.builtin &&
    have.inInitramfs === false
  )
    return ['initramfs', say('advice.initramfs', { name: want.name })];
  if (
    source.os.type === 'windows' &&
    want.bootCritical &&
    have.startMode &&
    !/^boot$/i.test(have.startMode)
  )
    return [
      'manual',
      say('advice.startMode', { name: want.name, mode: have.startMode, service: have.name }),
    ];
  const version = have.version ? ` ${have.version}` : '';
  const state = have.loaded ? 'loaded' : have.builtin ? 'builtin' : 'installed';
  return ['none', say(`advice.${state}`, { name: want.name, version })];
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
