import type { ErrorInfo } from './errors.ts';
import type { DriverFilesResult, DriverPlan } from './driver-plan.ts';
import type { ConvergenceDecision, CutoverStep, RoundSummary } from './events.ts';
import type { MachineInspection } from './inspection.ts';
import type { PreflightCheck } from './preflight.ts';

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
  } | null;
  rounds: RoundSummary[];
  convergence: ConvergenceDecision | null;
  cutover: {
    timeline: { step: CutoverStep; at: string; detail?: string }[];
    stopCommand: string | null;
    downtimeMs: number | null;
  };
  verification: {
    mode: 'cached' | 'full';
    files: number;
    mismatches: string[];
    ok: boolean;
    durationMs: number;
  } | null;
  warnings: { message: string; path?: string }[];
  /** Absent in reports written before the check existed. */
  check?: MigrationCheck | null;
}
