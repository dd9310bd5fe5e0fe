import { execFile } from 'node:child_process';
import { pathExists } from '../paths/path-exists.ts';

/**
 * Whether qemu can run this VM with KVM: /dev/kvm can exist where KVM cannot start a CPU (nested
 * virtualisation without the MSRs qemu needs). The probe starts a machine with no kernel: with
 * working KVM it gets as far as loading the kernel and says so; otherwise it fails before.
 */
export async function kvmUsable(): Promise<boolean> {
  if (!(await pathExists('/dev/kvm'))) return false;
  return new Promise((resolve) => {
    execFile(
      'qemu-system-x86_64',
      [
        '-machine',
        'q35,accel=kvm',
        '-cpu',
        'host',
        '-display',
        'none',
        '-nodefaults',
        '-no-reboot',
        '-kernel',
        '/nonexistent-p2v-probe',
      ],
      { timeout: 20_000 },
      (_error, _stdout, stderr) => resolve(/could not load kernel/.test(String(stderr))),
    );
  });
}
