import { P2VError } from '../../shared/errors.ts';
import type { MachineInspection } from '../../shared/inspection.ts';
import { inspectLinux } from './inspect-linux.ts';
import { liveHost, type InspectionHost } from './inspection-host.ts';
import { inspectWindows } from './inspect-windows.ts';

/**
 * Inspects the machine: OS, boot mode, disks, volumes, network, services, drivers. The drivers
 * of interest (those VM profiles name) get their versions read even when not loaded.
 */
export async function inspectMachine(
  driversOfInterest: string[] = [],
  host: InspectionHost = liveHost(),
): Promise<MachineInspection> {
  if (host.platform === 'linux') return inspectLinux(host, driversOfInterest);
  if (host.platform === 'win32') return inspectWindows(host);
  throw new P2VError('BAD_ARGUMENT', `inspection supports Linux and Windows, not ${host.platform}`);
}
