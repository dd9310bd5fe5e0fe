import type { MachineInspection } from '../../shared/inspection.ts';
import type { PreflightCheck } from '../../shared/preflight.ts';
import { formatBytes } from '../../shared/format.ts';

/** What the checks know about the target, from its agent's `describe` answer. */
export interface TargetFacts {
  machine: MachineInspection;
  root: { path: string; freeBytes: number; totalBytes: number };
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
): PreflightCheck[] {
  const checks: PreflightCheck[] = [];
  if (!target)
    checks.push({
      id: 'target-unknown',
      level: 'warning',
      title: 'Target not checked',
      detail: 'No agent was asked: free space and the VM’s identity were not checked.',
    });
  else checks.push(freeSpace(selectedBytes, target, estimate));
  checks.push(hibernation(source));
  checks.push(encryption(source));
  checks.push(identity(source, target, sharedNetwork));
  return checks;
}

function freeSpace(selectedBytes: number, target: TargetFacts, estimate: boolean): PreflightCheck {
  const needed = Math.ceil(selectedBytes * (1 + SPACE_MARGIN));
  const free = target.root.freeBytes;
  const numbers = `${formatBytes(selectedBytes)} ${estimate ? 'used on all volumes' : 'selected'}, ${formatBytes(free)} free under ${target.root.path} on the target`;
  if (free < selectedBytes && estimate)
    return {
      id: 'free-space',
      level: 'warning',
      title: 'The whole machine would not fit',
      detail: `${numbers}. Pick less to move on the next screen, or free space on the target.`,
    };
  if (free < selectedBytes)
    return {
      id: 'free-space',
      level: 'blocker',
      title: 'Not enough space on the target',
      detail: `${numbers}. Free ${formatBytes(selectedBytes - free)} more, or leave volumes or folders out.`,
    };
  if (free < needed)
    return {
      id: 'free-space',
      level: 'warning',
      title: 'Little space left on the target',
      detail: `${numbers}: under ${SPACE_MARGIN * 100}% would be left for the rounds’ temp files.`,
    };
  return {
    id: 'free-space',
    level: 'ok',
    title: 'Enough space on the target',
    detail: `${numbers}.`,
  };
}

function hibernation(source: MachineInspection): PreflightCheck {
  switch (source.safety.hibernation) {
    case 'hibernated':
      return {
        id: 'hibernation',
        level: 'blocker',
        title: 'Windows is hibernated',
        detail:
          'The volumes hold a hibernation image: start Windows fully, then run powercfg /h off.',
      };
    case 'fast-startup':
      return {
        id: 'hibernation',
        level: 'warning',
        title: 'Fast Startup is on',
        detail:
          'A shutdown leaves the volumes in a hibernated state the VM must not resume from. Run powercfg /h off (as administrator) before the cutover.',
      };
    case 'unknown':
      return {
        id: 'hibernation',
        level: 'warning',
        title: 'Hibernation state unknown',
        detail: 'Check with powercfg /a that hibernation and Fast Startup are off.',
      };
    default:
      return { id: 'hibernation', level: 'ok', title: 'No hibernation', detail: 'Nothing to do.' };
  }
}

function encryption(source: MachineInspection): PreflightCheck {
  const volumes = source.safety.encryptedVolumes;
  if (volumes.length === 0)
    return {
      id: 'encryption',
      level: 'ok',
      title: 'No encrypted volumes',
      detail: 'Nothing to do.',
    };
  const list = volumes.join(', ');
  return {
    id: 'encryption',
    level: 'warning',
    title: 'Encrypted volumes',
    detail:
      source.os.type === 'windows'
        ? `BitLocker protects ${list}. The VM has no access to this machine's TPM: keep the recovery key at hand, or suspend protection (manage-bde -protectors -disable ${volumes[0]}) before the cutover.`
        : `${list} is LUKS-encrypted: the VM will ask for the passphrase at boot (or needs a key file in its initramfs).`,
  };
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
      same.push(`hostname ${source.hostname}`);
    if (vm.machineId && vm.machineId === source.machineId) same.push('machine id');
    const macs = new Set(source.network.map((n) => n.mac.toLowerCase()).filter(Boolean));
    for (const n of vm.network) if (macs.has(n.mac.toLowerCase())) same.push(`MAC ${n.mac}`);
  } else if (sharedNetwork) {
    same.push(`hostname ${source.hostname}`);
    if (source.machineId) same.push('machine id');
  }
  if (same.length === 0 || !sharedNetwork)
    return {
      id: 'duplicate-identity',
      level: same.length === 0 ? 'ok' : 'warning',
      title: same.length === 0 ? 'No duplicate identity' : 'Same identity on two machines',
      detail:
        same.length === 0
          ? 'Nothing to do.'
          : `Source and VM share ${same.join(', ')}. Keep them on separate networks until the source is off.`,
    };
  return {
    id: 'duplicate-identity',
    level: 'warning',
    title: 'Same identity on one network',
    detail: `After the migration the VM carries the source's ${same.join(', ')}. With both on one network, names, DHCP leases and domain trust clash: keep the source off the network after the cutover, or give one of them a new identity.`,
  };
}
