import type { DifferenceFile } from '../../shared/driver-plan.ts';
import type { DriverFile } from '../../shared/vm-profile.ts';

/**
 * The difference files (claim 13): the source's driver files whose path is missing on the VM
 * or whose whole-file checksum differs. Files only the VM has are left alone.
 */
export function differenceFiles(source: DriverFile[], target: DriverFile[]): DifferenceFile[] {
  const onTarget = new Map(target.map((f) => [f.path, f.hash]));
  return source.flatMap((file): DifferenceFile[] => {
    const hash = onTarget.get(file.path);
    if (hash === file.hash) return [];
    return [{ ...file, reason: hash === undefined ? 'missing' : 'differs' }];
  });
}
