import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { applyXattrs } from '../paths/xattrs.ts';
import type { MachineInspection } from '../../shared/inspection.ts';

/**
 * What an agent tells about the machine it runs on, for a live profile (an agent inside the
 * target VM) and the pre-flight checks: the inspection and the space left under its root.
 */
export async function describeTarget(rootPath: string): Promise<{
  machine: MachineInspection;
  root: {
    path: string;
    freeBytes: number;
    totalBytes: number;
    xattrs: { user: boolean; privileged: boolean };
  };
}> {
  // Loaded when a source asks: an agent that only receives files starts without them.
  const { inspectMachine } = await import('../inspection/inspect-machine.ts');
  const { driversOfInterest } = await import('../profiles/load-profile.ts');
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
      xattrs: probeXattrs(rootPath),
    },
  };
}

/**
 * Whether files under the root can hold extended attributes: user ones, and the namespaces only
 * root writes (trusted, and with it SELinux labels and capabilities). Tried on a temp file.
 */
function probeXattrs(rootPath: string): { user: boolean; privileged: boolean } {
  const probe = Buffer.from(join(rootPath, `.p2v-${randomBytes(6).toString('hex')}.tmp`));
  try {
    writeFileSync(probe, '');
  } catch {
    return { user: false, privileged: false };
  }
  try {
    const value = Buffer.from('probe').toString('base64');
    return {
      user: applyXattrs(probe, [{ name: 'user.p2v-probe', value }]) === null,
      privileged:
        process.getuid?.() === 0 &&
        applyXattrs(probe, [{ name: 'trusted.p2v-probe', value }]) === null,
    };
  } finally {
    rmSync(probe, { force: true });
  }
}
