import type { SessionView } from './session-view.ts';

/** The wizard's screens, in order. */
export const STEPS = [
  'machine',
  'target',
  'compatibility',
  'selection',
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

/** Where a running (or finished) migration belongs: the screen a reload lands on. */
export function stepForSession(view: SessionView): Step | null {
  switch (view.stage) {
    case 'idle':
      return null;
    case 'done':
    case 'failed':
    case 'cancelled':
      return 'done';
    case 'cutting-over':
      return 'cutover';
    case 'awaiting-cutover':
      return 'sync';
    case 'paused':
    case 'running':
      return view.phase === 'vm'
        ? 'vm'
        : view.phase === 'rounds'
          ? 'sync'
          : view.phase === 'cutover' || view.phase === 'verify' || view.phase === 'handover'
            ? 'cutover'
            : 'copy';
  }
}
