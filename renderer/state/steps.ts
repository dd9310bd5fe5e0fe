import type { MigrationPhase } from '../../shared/events.ts';
import type { SessionView } from './session-view.ts';

/** The wizard's screens, in order. */
export const STEPS = [
  'machine',
  'target',
  'compatibility',
  'selection',
  'summary',
  'copy',
  'vm',
  'sync',
  'cutover',
  'done',
] as const;
export type Step = (typeof STEPS)[number];

/** The screens of this migration: the VM step only when the target builds the VM. */
export function stepsFor(running: { vm?: unknown } | null): Step[] {
  return STEPS.filter((s) => s !== 'vm' || Boolean(running?.vm));
}

/** The screen that shows each phase of a running migration; the others show on Copy. */
const SCREEN_OF_PHASE: Partial<Record<MigrationPhase, Step>> = {
  vm: 'vm',
  rounds: 'sync',
  cutover: 'cutover',
  verify: 'cutover',
  handover: 'cutover',
};

/** Where a running (or finished) migration belongs: the screen a reload lands on. */
export function stepForSession(view: SessionView): Step | null {
  switch (view.stage) {
    case 'idle':
      return null;
    case 'done':
    case 'failed':
      return 'done';
    case 'cutting-over':
      return 'cutover';
    case 'awaiting-cutover':
      return 'sync';
    // Cancelled stays on its screen, which offers to resume or start again.
    case 'cancelled':
    case 'paused':
    case 'running':
      return (view.phase && SCREEN_OF_PHASE[view.phase]) ?? 'copy';
  }
}
