import { basename } from 'node:path';
import type { DiskPlan } from '../../shared/vm-image.ts';

/** What the VM gets on a hypervisor other than qemu: name, memory, CPUs. */
export interface VmShape {
  name: string;
  memoryMiB: number;
  cpus: number;
  /** The network card's MAC address, where the build pinned the source's configuration to it. */
  mac?: string;
}

function vmxValue(text: string): string {
  return text.replace(/["|]/g, '_');
}

/**
 * A VMware .vmx for the stream-optimized vmdk beside it (Workstation/Fusion open it; for ESXi,
 * import the pair with ovftool or upload and register it). PVSCSI and VMXNET3 are what the
 * vmware-esxi profile expects the guest to carry drivers for; EFI firmware for a UEFI plan.
 */
export function vmwareVmx(vmdk: string, plan: DiskPlan, shape: VmShape): string {
  const lines: [string, string][] = [
    ['.encoding', 'UTF-8'],
    ['config.version', '8'],
    ['virtualHW.version', '19'],
    ['displayName', vmxValue(shape.name)],
    ['guestOS', 'other5xlinux-64'],
    ['firmware', plan.bootMode === 'uefi' ? 'efi' : 'bios'],
    ['memSize', String(shape.memoryMiB)],
    ['numvcpus', String(shape.cpus)],
    ['scsi0.present', 'TRUE'],
    ['scsi0.virtualDev', 'pvscsi'],
    ['scsi0:0.present', 'TRUE'],
    ['scsi0:0.fileName', vmxValue(basename(vmdk))],
    ['ethernet0.present', 'TRUE'],
    ['ethernet0.virtualDev', 'vmxnet3'],
    ...((shape.mac
      ? [
          ['ethernet0.addressType', 'static'],
          ['ethernet0.address', shape.mac],
        ]
      : [['ethernet0.addressType', 'generated']]) as [string, string][]),
    ['ethernet0.startConnected', 'FALSE'],
    ['serial0.present', 'TRUE'],
    ['serial0.fileType', 'file'],
    ['serial0.fileName', 'serial.log'],
  ];
  return `${lines.map(([key, value]) => `${key} = "${value}"`).join('\n')}\n`;
}

function psQuote(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * The PowerShell that makes a Hyper-V VM around the dynamic vhdx: generation 2 (UEFI) for a
 * UEFI plan, else generation 1; Secure Boot off, since a migrated Linux guest's loader is
 * rarely signed for Microsoft's UEFI CA. The network adapter starts disconnected: the VM
 * carries the source's addresses until the technician connects it.
 */
export function hypervImportScript(vhdx: string, plan: DiskPlan, shape: VmShape): string {
  const generation = plan.bootMode === 'uefi' ? 2 : 1;
  return [
    '# Run in an elevated PowerShell on the Hyper-V host, with the vhdx copied there.',
    `$vhdx = ${psQuote(vhdx)}`,
    `New-VM -Name ${psQuote(shape.name)} -Generation ${generation} -MemoryStartupBytes ${shape.memoryMiB}MB -VHDPath $vhdx`,
    `Set-VMProcessor -VMName ${psQuote(shape.name)} -Count ${shape.cpus}`,
    ...(generation === 2
      ? [`Set-VMFirmware -VMName ${psQuote(shape.name)} -EnableSecureBoot Off`]
      : []),
    ...(shape.mac
      ? [
          `Set-VMNetworkAdapter -VMName ${psQuote(shape.name)} -StaticMacAddress ${psQuote(shape.mac.replaceAll(':', '').toUpperCase())}`,
        ]
      : []),
    `Get-VMNetworkAdapter -VMName ${psQuote(shape.name)} | Disconnect-VMNetworkAdapter`,
    `Start-VM -Name ${psQuote(shape.name)}`,
    '',
  ].join('\r\n');
}
