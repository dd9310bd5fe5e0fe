import type { MachineInspection } from '../../shared/inspection.ts';
import type { PreflightCheck } from '../../shared/preflight.ts';
import { formatBytes } from '../../shared/format.ts';
import { keyParam } from '../../shared/i18n/render-message.ts';
import { say } from '../i18n/say.ts';

/** What the checks know about the target, from its agent's `describe` answer. */
export interface TargetFacts {
  machine: MachineInspection;
  root: {
    path: string;
    freeBytes: number;
    totalBytes: number;
    xattrs?: { user: boolean; privileged: boolean };
  };
  /** The agent runs inside the VM (its identity is the VM's), not on a conversion host. */
  agentInVm: boolean;
}

/** Room kept free on the target beyond the data: logs, temp files of the rounds. */
const SPACE_MARGIN = 0.05;

/**
 * Checks peers learned the hard way, before anything is copied: room on the target, Windows
 * hibernation and Fast Startup, encrypted volumes, and the same identity on two machines.
 */
export function preflightChecks(
  source: MachineInspection,
  selectedBytes: number,
  target: TargetFacts | null,
  sharedNetwork: boolean,
  /** The bytes are every volume's used space, before the technician picked what to move. */
  estimate = false,
  /** The source's files carry SELinux labels, capabilities or ACLs. */
  sourceHasXattrs = false,
): PreflightCheck[] {
  const checks: PreflightCheck[] = [];
  if (!target) checks.push(check('target-unknown', 'warning', 'targetUnknown'));
  else checks.push(freeSpace(selectedBytes, target, estimate));
  if (target?.root.xattrs && sourceHasXattrs) checks.push(attributes(target));
  checks.push(hibernation(source));
  checks.push(encryption(source));
  checks.push(identity(source, target, sharedNetwork));
  return checks;
}

/** One finding from the catalogs: `preflight.<name>Title` and `preflight.<detail>`. */
function check(
  id: PreflightCheck['id'],
  level: PreflightCheck['level'],
  name: string,
  detail: string = name,
  params?: Record<string, string | number | string[]>,
): PreflightCheck {
  const title = say(`preflight.${name}Title`);
  const body = say(`preflight.${detail}`, params);
  return {
    id,
    level,
    title: title.text,
    detail: body.text,
    titleMessage: title.message,
    detailMessage: body.message,
  };
}

/** Whether the target's root keeps what the source's files carry beside their data. */
function attributes(target: TargetFacts): PreflightCheck {
  const kept = target.root.xattrs as { user: boolean; privileged: boolean };
  const params = { root: target.root.path };
  if (!kept.user) return check('xattrs', 'warning', 'xattrsLost', 'xattrsLost', params);
  if (!kept.privileged)
    return check('xattrs', 'warning', 'xattrsUnprivileged', 'xattrsUnprivileged', params);
  return check('xattrs', 'ok', 'xattrsKept', 'xattrsKept', params);
}

function freeSpace(selectedBytes: number, target: TargetFacts, estimate: boolean): PreflightCheck {
  const free = target.root.freeBytes;
  const params = {
    selected: formatBytes(selectedBytes),
    free: formatBytes(free),
    root: target.root.path,
  };
  if (free < selectedBytes && estimate)
    return check('free-space', 'warning', 'spaceEstimate', 'spaceEstimate', params);
  if (free < selectedBytes)
    return check('free-space', 'blocker', 'spaceBlocked', 'spaceBlocked', {
      ...params,
      missing: formatBytes(selectedBytes - free),
    });
  if (free < Math.ceil(selectedBytes * (1 + SPACE_MARGIN)))
    return check('free-space', 'warning', 'spaceTight', 'spaceTight', {
      ...params,
      margin: SPACE_MARGIN * 100,
    });
  return check('free-space', 'ok', 'spaceOk', estimate ? 'spaceOkEstimate' : 'spaceOk', params);
}

function hibernation(source: MachineInspection): PreflightCheck {
  switch (source.safety.hibernation) {
    case 'hibernated':
      return check('hibernation', 'blocker', 'hibernated');
    case 'fast-startup':
      return check('hibernation', 'warning', 'fastStartup');
    case 'unknown':
      return check('hibernation', 'warning', 'hibernationUnknown');
    default:
      return check('hibernation', 'ok', 'noHibernation', 'nothingToDo');
  }
}

function encryption(source: MachineInspection): PreflightCheck {
  const volumes = source.safety.encryptedVolumes;
  if (volumes.length === 0) return check('encryption', 'ok', 'noEncryption', 'nothingToDo');
  const params = { volumes: volumes.join(', '), first: volumes[0] as string };
  return check(
    'encryption',
    'warning',
    'encryption',
    source.os.type === 'windows' ? 'bitlocker' : 'luks',
    params,
  );
}

function identity(
  source: MachineInspection,
  target: TargetFacts | null,
  sharedNetwork: boolean,
): PreflightCheck {
  const same: string[] = [];
  if (target?.agentInVm) {
    const vm = target.machine;
    if (vm.hostname.toLowerCase() === source.hostname.toLowerCase())
      same.push(keyParam('preflight.hostname', { name: source.hostname }));
    if (vm.machineId && vm.machineId === source.machineId)
      same.push(keyParam('preflight.machineId'));
    const macs = new Set(source.network.map((n) => n.mac.toLowerCase()).filter(Boolean));
    for (const n of vm.network)
      if (macs.has(n.mac.toLowerCase())) same.push(keyParam('preflight.mac', { mac: n.mac }));
  } else if (sharedNetwork) {
    same.push(keyParam('preflight.hostname', { name: source.hostname }));
    if (source.machineId) same.push(keyParam('preflight.machineId'));
  }
  if (same.length === 0) return check('duplicate-identity', 'ok', 'noDuplicate', 'nothingToDo');
  const what = same;
  if (!sharedNetwork)
    return check('duplicate-identity', 'warning', 'duplicate', 'duplicate', { what });
  return check('duplicate-identity', 'warning', 'duplicateShared', 'duplicateShared', { what });
}
