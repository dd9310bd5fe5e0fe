import { statfs } from 'node:fs/promises';
import type { MachineInspection } from '../../shared/inspection.ts';
import { inspectMachine } from '../inspection/inspect-machine.ts';
import { driversOfInterest } from '../profiles/load-profile.ts';

/**
 * What an agent tells about the machine it runs on, for a live profile (an agent inside the
 * target VM) and the pre-flight checks: the inspection and the space left under its root.
 */
export async function describeTarget(rootPath: string): Promise<{
  machine: MachineInspection;
  root: { path: string; freeBytes: number; totalBytes: number };
}> {
  const [machine, space] = await Promise.all([
    inspectMachine(await driversOfInterest()),
    statfs(rootPath),
  ]);
  return {
    machine,
    root: {
      path: rootPath,
      freeBytes: space.bavail * space.bsize,
      totalBytes: space.blocks * space.bsize,
    },
  };
}
