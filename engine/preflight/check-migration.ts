import type { DriverFilesResult, DriverPlan, UpdateCondition } from '../../shared/driver-plan.ts';
import type { MachineInspection } from '../../shared/inspection.ts';
import type { PreflightCheck } from '../../shared/preflight.ts';
import type { MigrationCheck } from '../../shared/report.ts';
import type { VmProfile } from '../../shared/vm-profile.ts';
import { planDrivers } from '../drivers/driver-plan.ts';
import { syncDriverFiles } from '../drivers/sync-driver-files.ts';
import { inspectMachine } from '../inspection/inspect-machine.ts';
import { liveProfile } from '../profiles/live-profile.ts';
import { driversOfInterest, loadProfile } from '../profiles/load-profile.ts';
import { AgentClient, type AgentAddress } from '../source/agent-client.ts';
import { preflightChecks, type TargetFacts } from './preflight-checks.ts';
import { existsSync } from 'node:fs';
import { readXattrs } from '../paths/xattrs.ts';
import { say } from '../i18n/say.ts';
import type { DiskPlan } from '../../shared/vm-image.ts';
import { vmDiskCheck } from './vm-disk-check.ts';
import { autoConvergeCheck } from './auto-converge-check.ts';

/** Where difference files go when neither the technician nor the profile names a place. */
export const DEFAULT_DRIVER_STAGING = 'var/lib/p2v/driver-staging';

export interface CheckOptions {
  /** A built-in profile id or a profile file. */
  profile: string;
  condition: UpdateCondition;
  /** The agent to ask for free space (and, inside the VM, for its OS and drivers). */
  target?: AgentAddress;
  agentInVm?: boolean;
  /** Bytes to be moved; by default what the mounted volumes use (an estimate: never blocks). */
  selectedBytes?: number;
  sharedNetwork?: boolean;
  /**
   * A driver tree to compare with the same tree on the agent (at `target` under its root, by
   * default the profile's driver location); `send` syncs the difference.
   */
  driverTree?: { source: string; target?: string; send: boolean };
  /** An inspection already made (the wizard's first step), instead of a new one. */
  machine?: MachineInspection;
  /** The VM's disk, when the target builds one (`migrate --vm`): what it holds is checked too. */
  vmPlan?: DiskPlan;
  /** Whether the VM is still only a choice: what cannot be built then warns instead of blocking. */
  vmOptional?: boolean;
}

/** Everything the technician reads before the copy starts. */
export interface CheckResult {
  machine: MachineInspection;
  profile: VmProfile;
  target: TargetFacts | null;
  plan: DriverPlan;
  preflight: PreflightCheck[];
  driverFiles: DriverFilesResult | null;
  /** True when a blocker (from the plan or the pre-flight) stops the migration. */
  blocked: boolean;
}

/**
 * The check before a migration: inspect the machine, read the profile (live from an agent in
 * the VM when asked), plan the drivers, run the pre-flight checks, and compute (and optionally
 * send) the difference files. Blockers stop here, before any copy.
 */
export async function checkMigration(options: CheckOptions): Promise<CheckResult> {
  const machine = options.machine ?? (await inspectMachine(await driversOfInterest()));
  let profile = await loadProfile(options.profile);
  let target: TargetFacts | null = null;
  if (options.target) {
    const client = await AgentClient.connect(options.target);
    try {
      const described = await client.request<'described'>({ t: 'describe' });
      target = { ...described, agentInVm: Boolean(options.agentInVm) };
    } finally {
      await client.close();
    }
    if (options.agentInVm) profile = liveProfile(profile, target.machine);
  }
  const plan = planDrivers(machine, profile, options.condition);
  const selected =
    options.selectedBytes ?? machine.volumes.reduce((sum, v) => sum + v.usedBytes, 0);
  const preflight = preflightChecks(
    machine,
    selected,
    target,
    Boolean(options.sharedNetwork),
    options.selectedBytes === undefined,
    sourceCarriesXattrs(),
  );
  if (options.vmPlan) preflight.push(vmDiskCheck(options.vmPlan, options.vmOptional));
  if (machine.os.type === 'linux') preflight.push(autoConvergeCheck());
  const blocked = plan.blockers.length > 0 || preflight.some((c) => c.level === 'blocker');
  let driverFiles: DriverFilesResult | null = null;
  if (options.driverTree && options.target)
    driverFiles = await syncDriverFiles(
      options.target,
      options.driverTree.source,
      options.driverTree.target ??
        profile.driverLocation[machine.os.type] ??
        DEFAULT_DRIVER_STAGING,
      { dryRun: blocked || !options.driverTree.send },
    );
  if (driverFiles && driverFiles.files.length > 0) {
    const step = installStep(machine, driverFiles.targetDir, driverFiles.files.length);
    plan.manual.push(step.text);
    plan.manualMessages.push(step.message);
  }
  return { machine, profile, target, plan, preflight, driverFiles, blocked };
}

/** How the VM takes in the staged driver files, once it runs. */
function installStep(machine: MachineInspection, folder: string, count: number) {
  const where = `/${folder.replace(/^\/+/, '')}`;
  if (machine.os.type === 'windows')
    return say('advice.installStagedWindows', {
      count,
      command: `pnputil /add-driver "C:${where.replace(/\//g, '\\')}\\*.inf" /subdirs /install`,
    });
  return say('advice.installStaged', {
    count,
    command: `cp -a ${where}/lib/modules/. /lib/modules/ && depmod -a ${machine.os.kernel}`,
  });
}

/** The check as the report keeps it: the inspection without drivers nobody asked about. */
export function toMigrationCheck(result: CheckResult): MigrationCheck {
  const named = new Set(result.plan.drivers.map((d) => d.name));
  return {
    checkedAt: new Date().toISOString(),
    machine: {
      ...result.machine,
      drivers: {
        ...result.machine.drivers,
        drivers: result.machine.drivers.drivers.filter((d) => d.loaded || named.has(d.name)),
      },
    },
    profile: {
      id: result.profile.id,
      name: result.profile.name,
      hypervisor: result.profile.hypervisor,
      diskFormat: result.profile.diskFormat,
    },
    plan: result.plan,
    preflight: result.preflight,
    driverFiles: result.driverFiles,
  };
}

/**
 * Whether this machine's files carry what only extended attributes keep: SELinux is on, or the
 * root or a usual binary has labels, capabilities or ACLs.
 */
function sourceCarriesXattrs(): boolean {
  if (existsSync('/sys/fs/selinux/enforce')) return true;
  return ['/', '/usr/bin/ping', '/usr/bin/newuidmap'].some((path) => {
    try {
      return readXattrs(Buffer.from(path)).length > 0;
    } catch {
      return false;
    }
  });
}
