import type { Message } from './i18n/message.ts';
import type { OsType } from './inspection.ts';
import type { DriverFile } from './vm-profile.ts';

/** When a driver the source has in another version than the VM's gets updated. */
export type UpdateCondition = 'missing' | 'any' | 'major';

/** How the source's OS relates to the VM's own OS, where the profile names one. */
export type OsRelation = 'same' | 'other-version' | 'other-type' | 'no-target-os';

export type DriverStatus = 'ok' | 'missing' | 'older' | 'newer';
export type DriverAction = 'none' | 'add' | 'update' | 'initramfs' | 'manual';

/** The comparison of one driver the VM's hardware needs. */
export interface DriverCheck {
  name: string;
  role: string;
  bootCritical: boolean;
  status: DriverStatus;
  sourceVersion: string | null;
  targetVersion: string | null;
  /** Loaded on the source, built in, or only present on disk. */
  sourceState: 'loaded' | 'builtin' | 'on-disk' | 'absent';
  inInitramfs: boolean | null;
  action: DriverAction;
  /** The finding and what to do, in plain words (English). */
  advice: string;
  /** The same, for the front ends to say in their language. */
  adviceMessage: Message;
}

export interface PlanBlocker {
  code: 'OS_TYPE' | 'FIRMWARE' | 'ARCH';
  message: string;
  text: Message;
}

/** The driver check's result: what the VM needs before the copy starts. */
export interface DriverPlan {
  profileId: string;
  profileName: string;
  condition: UpdateCondition;
  os: {
    source: { type: OsType; name: string; version: string };
    target: { type: OsType; name: string; version: string } | null;
    relation: OsRelation;
  };
  drivers: DriverCheck[];
  /** Linux: the initramfs must be rebuilt to carry these boot-critical modules. */
  initramfs: { rebuild: boolean; modules: string[]; command: string | null };
  toAdd: string[];
  toUpdate: string[];
  /** Steps a technician must take by hand, in order. */
  manual: string[];
  manualMessages: Message[];
  blockers: PlanBlocker[];
  warnings: string[];
  warningMessages: Message[];
}

/** A driver file the VM lacks or holds in another version. */
export interface DifferenceFile extends DriverFile {
  reason: 'missing' | 'differs';
}

/** What the driver sync did, for the plan and the report. */
export interface DriverFilesResult {
  sourceDir: string;
  /** Where on the agent (under its root) the files went: the driver location or staging. */
  targetDir: string;
  files: DifferenceFile[];
  bytesOnWire: number;
  /** Every difference file on the agent has the checksum the plan promised (after a send). */
  verified: boolean;
}
