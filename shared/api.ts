import { z } from 'zod';
import { CHANNELS } from './api-channels.ts';
import type { DriverFilesResult, DriverPlan } from './driver-plan.ts';
import type { ErrorInfo } from './errors.ts';
import type { ConvergenceDecision, MigrationEvent } from './events.ts';
import type { BootMode, MachineInspection, OsInfo } from './inspection.ts';
import type { PreflightCheck } from './preflight.ts';
import type { MigrationCheck, MigrationReport } from './report.ts';
import { INTERFACE_NAME } from './vm-image.ts';

/**
 * The one contract between the wizard and the engine. Electron's preload exposes it over IPC,
 * browser mode over a WebSocket; both validate every payload with the schemas below.
 */

export const TargetAddress = z.object({
  host: z.string().min(1).max(255),
  port: z.number().int().min(1).max(65535),
  token: z.string().min(1).max(512),
  fingerprint: z.string().regex(/^[0-9A-Fa-f:]{64,95}$/, 'a SHA-256 fingerprint'),
});
export type TargetAddress = z.infer<typeof TargetAddress>;

/** What to move, as the technician picked it (`DIR` or `DIR:TARGETPATH`). */
export const Selection = z.object({
  sources: z.array(z.string().min(1).max(4096)).min(1).max(64),
  excludes: z.array(z.string().max(4096)).max(256),
  useDefaultExcludes: z.boolean(),
});
export type Selection = z.infer<typeof Selection>;

/** A folder whose sub-folders are measured one by one, with the selection's exclusions. */
export const FolderRequest = z.object({
  path: z.string().min(1).max(4096),
  excludes: Selection.shape.excludes,
  useDefaultExcludes: z.boolean(),
});
export type FolderRequest = z.infer<typeof FolderRequest>;

export const CheckRequest = z.object({
  profile: z.string().min(1).max(4096),
  condition: z.enum(['missing', 'any', 'major']),
  target: TargetAddress,
  agentInVm: z.boolean(),
  sharedNetwork: z.boolean(),
  /** Empty before the technician picked what to move: the used space of every volume counts. */
  sources: z.array(z.string().min(1).max(4096)).max(64),
  excludes: z.array(z.string().max(4096)).max(256),
  useDefaultExcludes: z.boolean(),
});
export type CheckRequest = z.infer<typeof CheckRequest>;

/** The numbers a technician types on "What to move", checked by the form and the API alike. */
export const DowntimeTargetSeconds = z.number().min(0).max(3600);
export const VmMemoryMiB = z
  .number()
  .int()
  .min(256)
  .max(4 * 1024 * 1024);
export const VmCpus = z.number().int().min(1).max(512);
/** A process id on Linux (pid_max is at most 2^22). */
export const ProcessId = z.number().int().min(1).max(4_194_304);
/** What the source may send, in Mbit/s; null for no limit. */
export const BandwidthMbit = z.number().positive().max(1_000_000).nullable();

export const MigrationRequest = z.object({
  target: TargetAddress,
  /** `DIR` or `DIR:TARGETPATH`, as on the command line. */
  sources: z.array(z.string().min(1).max(4096)).min(1).max(64),
  excludes: z.array(z.string().max(4096)).max(256),
  useDefaultExcludes: z.boolean(),
  stopCommand: z.string().max(4096).nullable(),
  rollbackCommand: z.string().max(4096).nullable(),
  /** Run while the program still runs, once the rounds converge (see MigrationOptions). */
  flushCommand: z.string().max(4096).nullable().optional(),
  /**
   * Run on this machine once the target started the program: gives up what the target now holds
   * (the service address). Absent or null: nothing is released.
   */
  releaseCommand: z.string().max(4096).nullable().optional(),
  downtimeTargetSeconds: DowntimeTargetSeconds,
  thresholdBytes: z.number().int().min(0),
  maxRounds: z.number().int().min(1).max(1000),
  /** The bandwidth limit the migration starts with (changeable while it runs); absent: none. */
  bandwidthLimitMbit: BandwidthMbit.optional(),
  /**
   * Auto-converge: the process to slow when the rounds stop shrinking (with its children); absent
   * or null: never slowed.
   */
  autoConvergePid: ProcessId.nullable().optional(),
  /**
   * After the copy the target builds the VM and boots it with an agent inside; the rounds, the
   * cutover and the handover go there. The disk layout comes from this machine's inspection.
   */
  vm: z
    .object({
      boot: z.enum(['direct', 'grub-bios', 'grub-efi']),
      memoryMiB: VmMemoryMiB,
      cpus: VmCpus,
      /**
       * The VM's card gets the source card's MAC (DHCP reservations and MAC-bound licences keep
       * working; the two must then never be on one network at once); else a new one.
       */
      keepSourceMac: z.boolean().optional(),
      /**
       * The conversion host's bridge to the source's network: the VM's card is on it and takes
       * the source's address at the handover. Absent: the VM's card reaches no network.
       */
      bridge: z.string().regex(INTERFACE_NAME).optional(),
    })
    .nullable()
    .optional(),
});
export type MigrationRequest = z.infer<typeof MigrationRequest>;

export const ReportRequest = z.object({
  format: z.enum(['html', 'json', 'pdf']),
  language: z.enum(['en', 'zh-CN']),
});
export type ReportRequest = z.infer<typeof ReportRequest>;

/** A built-in VM profile as the wizard lists it. */
/**
 * What the chosen folders hold: the room they need on the target, and the paths that could not
 * be read (a folder that is not there, one closed to the reading user), which the copy would skip.
 */
export interface SelectionMeasure {
  bytes: number;
  /** The first few unreadable paths, with the error code (ENOENT, EACCES…). */
  unreadable: { path: string; code: string }[];
  unreadableCount: number;
}

/** A folder's sub-folders, the biggest first: what each holds, or why it is not measured. */
export interface FolderSizes {
  folders: {
    path: string;
    /** Allocated bytes, as the selection is measured; null where it was not measured. */
    bytes: number | null;
    /** Left out by the exclusions, or another volume mounted there: moved on its own or not at all. */
    skipped?: 'excluded' | 'mount';
    unreadableCount: number;
  }[];
}

export interface ProfileSummary {
  id: string;
  name: string;
  hypervisor: string;
  diskFormat: string;
  firmware: BootMode[];
}

/** What a test connection learns about the agent and its machine. */
export interface TargetInfo {
  hostname: string;
  os: OsInfo;
  bootMode: BootMode;
  rootPath: string;
  freeBytes: number;
  totalBytes: number;
  /** What the agent will run to start the program on the target; null if nothing. */
  handoverCommand: string | null;
}

/** The check's result as the Compatibility step shows it. */
export interface CheckSummary {
  check: MigrationCheck;
  plan: DriverPlan;
  preflight: PreflightCheck[];
  driverFiles: DriverFilesResult | null;
  selectedBytes: number;
  blocked: boolean;
}

/** Where the migration is, as the engine side knows it. */
export type SessionStage =
  | 'idle'
  | 'running'
  | 'awaiting-cutover'
  | 'cutting-over'
  | 'paused'
  | 'cancelled'
  | 'done'
  | 'failed';

/** Engine events plus the session's own, in the order they happened. */
export type SessionEvent =
  | MigrationEvent
  | { type: 'stage'; stage: SessionStage; error?: ErrorInfo }
  | { type: 'awaiting-cutover'; decision: ConvergenceDecision }
  /** Nobody confirmed in time: one more round keeps the target close; the engine asks again after. */
  | { type: 'extra-round' };

/** Everything a window needs to show where a migration is, after a reload. */
export interface SessionSnapshot {
  stage: SessionStage;
  request: MigrationRequest | null;
  /** Every event but progress, then the latest progress: replayed, they rebuild the UI state. */
  events: SessionEvent[];
  report: MigrationReport | null;
  error: ErrorInfo | null;
}

/** The calls the wizard makes; each resolves with its answer or rejects with an ErrorInfo. */
export interface WizardApi {
  inspect(): Promise<MachineInspection>;
  listProfiles(): Promise<ProfileSummary[]>;
  connectTarget(target: TargetAddress): Promise<TargetInfo>;
  check(request: CheckRequest): Promise<CheckSummary>;
  /** Bytes the selection takes on disk, walked with its exclusions. */
  measureSelection(selection: Selection): Promise<SelectionMeasure>;
  /** The sub-folders of one folder (a volume's top folders) with what each holds. */
  measureFolders(request: FolderRequest): Promise<FolderSizes>;
  startMigration(request: MigrationRequest): Promise<void>;
  pauseMigration(): Promise<void>;
  resumeMigration(): Promise<void>;
  cancelMigration(): Promise<void>;
  /** Confirms the cutover when the rounds converged, or asks for it before they do. */
  cutOver(): Promise<void>;
  /** Changes (or, with null, lifts) the running migration's bandwidth limit, in Mbit/s. */
  setBandwidthLimit(mbit: number | null): Promise<void>;
  getSession(): Promise<SessionSnapshot>;
  exportReport(request: ReportRequest): Promise<{ path: string }>;
  openReportFolder(): Promise<void>;
  /** Subscribes to session events; returns the function that unsubscribes. */
  onEvent(listener: (event: SessionEvent) => void): () => void;
}

/** The calls as named channels (`domain:verb`), each with the schema of its one argument. */
export const API_CHANNELS = {
  inspect: { channel: CHANNELS.inspect, input: z.undefined() },
  listProfiles: { channel: CHANNELS.listProfiles, input: z.undefined() },
  connectTarget: { channel: CHANNELS.connectTarget, input: TargetAddress },
  check: { channel: CHANNELS.check, input: CheckRequest },
  measureSelection: { channel: CHANNELS.measureSelection, input: Selection },
  measureFolders: { channel: CHANNELS.measureFolders, input: FolderRequest },
  startMigration: { channel: CHANNELS.startMigration, input: MigrationRequest },
  pauseMigration: { channel: CHANNELS.pauseMigration, input: z.undefined() },
  resumeMigration: { channel: CHANNELS.resumeMigration, input: z.undefined() },
  cancelMigration: { channel: CHANNELS.cancelMigration, input: z.undefined() },
  cutOver: { channel: CHANNELS.cutOver, input: z.undefined() },
  setBandwidthLimit: { channel: CHANNELS.setBandwidthLimit, input: BandwidthMbit },
  getSession: { channel: CHANNELS.getSession, input: z.undefined() },
  exportReport: { channel: CHANNELS.exportReport, input: ReportRequest },
  openReportFolder: { channel: CHANNELS.openReportFolder, input: z.undefined() },
} as const satisfies Record<
  Exclude<keyof WizardApi, 'onEvent'>,
  { channel: string; input: z.ZodType }
>;

export type ApiMethod = keyof typeof API_CHANNELS;

export { EVENT_CHANNEL } from './api-channels.ts';
