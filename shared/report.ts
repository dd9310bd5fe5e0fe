import type { NetworkIdentityPlan } from './network.ts';
import type { Message } from './i18n/message.ts';
import type { ErrorInfo } from './errors.ts';
import type { DriverFilesResult, DriverPlan } from './driver-plan.ts';
import type { ConvergenceDecision, CutoverStep, DowntimeParts, RoundSummary } from './events.ts';
import type { MachineInspection } from './inspection.ts';
import type { PreflightCheck } from './preflight.ts';
import type { BuiltImage, InitramfsRebuild, VmBoot } from './vm-image.ts';

/** The check made before the copy: the machine, the VM profile, the driver plan and more. */
export interface MigrationCheck {
  checkedAt: string;
  /** The inspection; its driver list keeps the loaded drivers and those the profile names. */
  machine: MachineInspection;
  profile: { id: string; name: string; hypervisor: string; diskFormat: string };
  plan: DriverPlan;
  preflight: PreflightCheck[];
  driverFiles: DriverFilesResult | null;
}

/** Everything a migration report holds; report.json is this, report.html renders it. */
export interface MigrationReport {
  tool: { name: string; version: string };
  id: string;
  startedAt: string;
  finishedAt: string | null;
  ok: boolean;
  error: ErrorInfo | null;
  source: {
    hostname: string;
    platform: string;
    sources: { dir: string; target: string }[];
    excludes: string[];
  };
  target: {
    host: string;
    port: number;
    fingerprint: string;
    hostname: string | null;
    platform: string | null;
  };
  copy: {
    files: number;
    entries: number;
    scannedBytes: number;
    dirtyBytes: number;
    wireBytes: number;
    durationMs: number;
    failed: number;
    resumed: boolean;
    /**
     * Files the target already held as an earlier migration read them from this machine (their
     * stat unchanged since): asked of the agent by checksum, not read again.
     */
    known?: { files: number; bytes: number };
  } | null;
  rounds: RoundSummary[];
  /**
   * File data sent (copy and rounds) and what it came to on the wire after compression, with the
   * compression mode and the bandwidth limit last in force (bytes per second; null for none).
   */
  /**
   * Paths that were not copied because the source cannot read them or they cannot be copied
   * (sockets, devices): how many, and the first 100 with why (EACCES, UNSUPPORTED_FILE…).
   */
  notCopied?: { count: number; paths: { path: string; reason: string }[] };
  /** Auto-converge: how the program was slowed, round by round, and when it was let go. */
  autoConverge?: {
    /** What was slowed: "process 4242", or "unit app.service (its cgroup)". */
    program: string;
    method: 'cgroup-v2' | 'cgroup-v1' | 'signals';
    steps: { round: number; level: number; at: string }[];
    releasedAt: string | null;
  };
  transfer?: {
    compression: 'auto' | 'on' | 'off';
    dataBytes: number;
    sentBytes: number;
    bandwidthLimit: number | null;
  };
  convergence: ConvergenceDecision | null;
  cutover: {
    /** `detail` in English; `said`, where present, is the same sentence for the report's language. */
    timeline: { step: CutoverStep; at: string; detail?: string; said?: Message }[];
    stopCommand: string | null;
    downtimeMs: number | null;
    /** The pause part by part as it was measured, beside the prediction in `convergence`. */
    measuredParts?: DowntimeParts;
    /**
     * The program's own stop and start (the stop and handover commands): in the pause, but not
     * in the prediction, which cannot know them before they ran.
     */
    programMs?: { stopMs: number; startMs: number };
  };
  verification: {
    mode: 'cached' | 'full';
    files: number;
    mismatches: string[];
    ok: boolean;
    /** Both passes when a second one ran. */
    durationMs: number;
    /** What the first pass found different and was sent again before the second. */
    resent?: string[];
    /** The mirror check: entries the source does not have, removed or still there. */
    extraneousRemoved?: number;
    extraneousLeft?: string[];
    /** Folder mode or owner, symlink target or hard-link group that differs. */
    shapeDiffers?: { path: string; what: string }[];
  } | null;
  /** Changes the watcher missed and the re-scans before the cutover decision found. */
  watcherMissed?: number;
  /** `message` in English; `said`, where present, is the same sentence for the report's language. */
  warnings: { message: string; path?: string; said?: Message }[];
  /** Absent in reports written before the check existed. */
  check?: MigrationCheck | null;
  /** The VM the rounds went to, when the target built and started one; absent before that existed. */
  vm?: VmReport | null;
}

/** The VM built and booted on the target after the full copy, and how its handover went. */
export interface VmReport {
  boot: VmBoot;
  image: Pick<BuiltImage, 'path' | 'format' | 'virtualBytes' | 'fileBytes' | 'hash' | 'durationMs'>;
  /** The qemu command line it runs with, and the libvirt domain for the same VM. */
  command: string[];
  domainXml: string;
  serialLog: string;
  pid: number;
  /** The agent inside the VM the rounds and the cutover went to. */
  agent: { host: string; port: number; fingerprint: string; hostname: string | null };
  /** From the copy's end to the VM's agent answering: image build and boot. */
  readyMs: number;
  /** From qemu's start to the agent inside answering. */
  bootMs: number;
  bootConfirmation: string;
  /** Every file in the VM read against what was sent, before the rounds; absent before it existed. */
  check?: VmCheck | null;
  /** Present when the guest's initramfs was rebuilt on the conversion host with the disk drivers. */
  initramfs?: InitramfsRebuild | null;
  /** How the VM's network card took over the source's configuration. */
  network?: NetworkIdentityPlan | null;
}

/** What the VM held before the rounds, compared with what was sent to the conversion host. */
export interface VmCheck {
  files: number;
  /** Changed in the VM after they were sent (its own boot writes some): sent again in the rounds. */
  differing: string[];
  durationMs: number;
}
