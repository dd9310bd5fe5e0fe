import type { BlockDevice, MachineInspection } from '../shared/inspection.ts';
import { formatBytes } from '../shared/format.ts';

/** The inspection as a technician reads it on a terminal. */
export function describeMachine(m: MachineInspection): string {
  const lines = [
    `${m.hostname}: ${m.os.name} (${m.os.type} ${m.os.version}), kernel ${m.os.kernel}, ${m.os.arch}`,
    `Boot: ${m.bootMode.toUpperCase()}   CPUs: ${m.cpus}   Memory: ${formatBytes(m.memoryBytes)}`,
    '',
    'Disks:',
    ...m.disks.flatMap((d) => diskLines(d, '  ')),
    '',
    'Volumes:',
    ...m.volumes.map(
      (v) =>
        `  ${v.mountpoint.padEnd(16)} ${(v.fsType ?? '?').padEnd(6)} ${formatBytes(v.usedBytes)} used of ${formatBytes(v.sizeBytes)} (${v.device})`,
    ),
    '',
    'Network:',
    ...m.network.map((n) => `  ${n.name} ${n.mac} ${n.addresses.join(' ')}`),
    '',
    `Running services (${m.services.length}):`,
    ...m.services.map((s) => `  ${s.name}  ${s.description}`),
    '',
    `Drivers: ${m.drivers.drivers.filter((d) => d.loaded).length} loaded` +
      (m.drivers.initramfs ? `; initramfs ${m.drivers.initramfs.path}` : ''),
  ];
  if (m.safety.hibernation !== 'off') lines.push(`Hibernation: ${m.safety.hibernation}`);
  if (m.safety.encryptedVolumes.length > 0)
    lines.push(`Encrypted volumes: ${m.safety.encryptedVolumes.join(', ')}`);
  if (m.notes.length > 0) lines.push('', 'Notes:', ...m.notes.map((n) => `  - ${n}`));
  return `${lines.join('\n')}\n`;
}

function diskLines(d: BlockDevice, indent: string): string[] {
  const facts = [d.type, formatBytes(d.sizeBytes), d.fsType, d.label && `label ${d.label}`]
    .filter(Boolean)
    .join(', ');
  const mounted = d.mountpoints.length > 0 ? ` on ${d.mountpoints.join(', ')}` : '';
  return [
    `${indent}${d.path} (${facts})${mounted}`,
    ...d.children.flatMap((c) => diskLines(c, `${indent}  `)),
  ];
}
