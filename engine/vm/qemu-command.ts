import type { BootMode } from '../../shared/inspection.ts';
import type { DiskFormat } from '../../shared/vm-image.ts';

/** How the VM is started. */
export interface VmLaunch {
  image: string;
  format: DiskFormat;
  /** `direct`: the guest's own kernel and initramfs, the safest first boot; else the disk boots itself. */
  boot:
    | { kind: 'direct'; kernel: string; initrd: string; append: string }
    | { kind: 'disk'; mode: BootMode };
  memoryMiB: number;
  cpus: number;
  /** The serial console goes to this file, so the boot can be confirmed. */
  serialLog: string;
  /** UEFI firmware code (OVMF) and a writable copy of its variable store, for a UEFI disk boot. */
  uefiFirmware?: string;
  uefiVars?: string;
  /** Use KVM when the host has it; software emulation otherwise. */
  kvm: boolean;
  /**
   * A test VM: skip flushing the disk to the host and end qemu when the guest reboots. Never for
   * a real VM, which must flush and come back after a reboot.
   */
  throwaway?: boolean;
  /** A port on the host forwarded to one in the guest (the agent inside the VM). */
  forward?: { host: string; hostPort: number; guestPort: number };
  /** The network card's MAC address (the one the build pinned the network configuration to). */
  mac?: string;
  /**
   * A tap device (already on the bridge of the network the source was on) for the card, in
   * place of the restricted user network: the VM then answers at the source's own address.
   */
  tap?: string;
  /**
   * A bridge of the conversion host for the card (a tap qemu makes, joined by `upScript`). The
   * agent's forwarded port then goes over a second, restricted card with `agentMac`.
   */
  bridge?: { name: string; upScript: string; agentMac: string };
}

/**
 * The qemu-system-x86_64 command line for the VM: virtio disk and network as the KVM profile
 * gives them, the serial console in a log, no display.
 */
export function qemuArgs(launch: VmLaunch): string[] {
  const args = [
    '-name',
    'p2v-vm',
    '-machine',
    launch.kvm ? 'q35,accel=kvm' : 'q35,accel=tcg',
    '-cpu',
    launch.kvm ? 'host' : 'max',
    '-m',
    String(launch.memoryMiB),
    '-smp',
    String(launch.cpus),
    '-drive',
    `file=${launch.image},format=${launch.format},if=virtio,cache=${launch.throwaway ? 'unsafe' : 'writeback'}`,
    ...networkArgs(launch),
    '-display',
    'none',
    '-serial',
    `file:${launch.serialLog}`,
    ...(launch.throwaway ? ['-no-reboot'] : []),
  ];
  if (launch.boot.kind === 'direct')
    args.push(
      '-kernel',
      launch.boot.kernel,
      '-initrd',
      launch.boot.initrd,
      '-append',
      launch.boot.append,
    );
  else if (launch.boot.mode === 'uefi' && launch.uefiFirmware) {
    args.push('-drive', `if=pflash,format=raw,readonly=on,file=${launch.uefiFirmware}`);
    if (launch.uefiVars) args.push('-drive', `if=pflash,format=raw,file=${launch.uefiVars}`);
    // OVMF's own IPv4 and IPv6 stacks off: before GRUB starts, it announced the VM's MAC on
    // the server's LAN (IPv6 duplicate address detection and MLD, seen on a bridge), which the
    // held card must not do before the handover. The VM boots from its disk, never the network.
    for (const stack of FIRMWARE_IP_STACKS)
      args.push('-fw_cfg', `name=opt/org.tianocore/${stack}Support,string=no`);
  }
  return args;
}

const FIRMWARE_IP_STACKS = ['IPv4', 'IPv6'] as const;

/** The VM's card, and with a bridge the agent's restricted second card. */
function networkArgs(launch: VmLaunch): string[] {
  // restrict=on: the VM cannot reach any network (it carries the source's addresses and
  // names); only the forwarded port reaches it.
  const restricted = (id: string): string =>
    `user,id=${id},restrict=on${launch.forward ? `,hostfwd=tcp:${launch.forward.host}:${launch.forward.hostPort}-:${launch.forward.guestPort}` : ''}`;
  const card = (id: string, mac?: string): string =>
    `virtio-net-pci,netdev=${id}${mac ? `,mac=${mac}` : ''}`;
  if (launch.bridge)
    return [
      '-netdev',
      `tap,id=net0,script=${launch.bridge.upScript.replaceAll(',', ',,')},downscript=no`,
      '-device',
      card('net0', launch.mac),
      '-netdev',
      restricted('agent0'),
      '-device',
      card('agent0', launch.bridge.agentMac),
    ];
  return [
    '-netdev',
    launch.tap ? `tap,id=net0,ifname=${launch.tap},script=no,downscript=no` : restricted('net0'),
    '-device',
    card('net0', launch.mac),
  ];
}

/**
 * The kernel command line for a direct boot: the root as `root` names it (see `directRoot`), the
 * console on the serial port.
 */
export function directAppend(root: string, extra = ''): string {
  return `${root} ro console=ttyS0,115200 ${extra}`.trim();
}
