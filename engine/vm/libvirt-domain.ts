import type { VmLaunch } from './qemu-command.ts';

function xml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The VM's card as it runs after the handover: on the bridge where it has one. The agent's
 * restricted card is for the rounds only and is left out.
 */
function networkInterface(launch: VmLaunch): string {
  const mac = launch.mac ? `\n      <mac address="${xml(launch.mac)}"/>` : '';
  const source = launch.bridge
    ? `<interface type="bridge">\n      <source bridge="${xml(launch.bridge.name)}"/>`
    : '<interface type="user">';
  return `${source}${mac}\n      <model type="virtio"/>\n    </interface>`;
}

/**
 * A libvirt domain for the VM (`virsh define`): the same machine as the qemu command line,
 * virtio disk and network, the serial console logged to a file.
 */
export function libvirtDomain(name: string, launch: VmLaunch): string {
  const os =
    launch.boot.kind === 'direct'
      ? `<type arch="x86_64" machine="q35">hvm</type>
    <kernel>${xml(launch.boot.kernel)}</kernel>
    <initrd>${xml(launch.boot.initrd)}</initrd>
    <cmdline>${xml(launch.boot.append)}</cmdline>`
      : launch.boot.mode === 'uefi'
        ? `<type arch="x86_64" machine="q35">hvm</type>
    <loader readonly="yes" type="pflash">${xml(launch.uefiFirmware ?? '/usr/share/OVMF/OVMF_CODE_4M.fd')}</loader>
    <boot dev="hd"/>`
        : `<type arch="x86_64" machine="q35">hvm</type>
    <boot dev="hd"/>`;
  return `<domain type="${launch.kvm ? 'kvm' : 'qemu'}">
  <name>${xml(name)}</name>
  <memory unit="MiB">${launch.memoryMiB}</memory>
  <vcpu>${launch.cpus}</vcpu>
  <os>
    ${os}
  </os>
  <features><acpi/><apic/></features>
  <devices>
    <disk type="file" device="disk">
      <driver name="qemu" type="${launch.format}"/>
      <source file="${xml(launch.image)}"/>
      <target dev="vda" bus="virtio"/>
    </disk>
    ${networkInterface(launch)}
    <serial type="file">
      <source path="${xml(launch.serialLog)}"/>
      <target port="0"/>
    </serial>
    <console type="file">
      <source path="${xml(launch.serialLog)}"/>
      <target type="serial" port="0"/>
    </console>
  </devices>
</domain>
`;
}
