import type { DriverFilesResult, DriverPlan } from '../shared/driver-plan.ts';
import type { BlockDevice, MachineInspection } from '../shared/inspection.ts';
import type { PreflightCheck } from '../shared/preflight.ts';
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

const MARK = { ok: 'ok', warning: '!!', blocker: 'XX' } as const;

/** The driver plan, pre-flight and difference files as plain text. */
export function describeCheck(
  plan: DriverPlan,
  preflight: PreflightCheck[],
  files: DriverFilesResult | null,
): string {
  const target = plan.os.target
    ? `${plan.os.target.name} ${plan.os.target.version}`.trim()
    : 'no OS named';
  const lines = [
    `Profile: ${plan.profileName} (update condition: ${plan.condition})`,
    `OS: source ${plan.os.source.name}; VM ${target} -> ${plan.os.relation}`,
    '',
    'Drivers:',
    ...plan.drivers.map(
      (d) =>
        `  ${d.action === 'none' ? 'ok' : '->'} ${d.name.padEnd(15)} ${d.status.padEnd(8)} ${d.advice}`,
    ),
  ];
  if (plan.initramfs.rebuild)
    lines.push(
      '',
      `Initramfs: rebuild for ${plan.initramfs.modules.join(', ')}:`,
      `  ${plan.initramfs.command}`,
    );
  if (plan.manual.length > 0)
    lines.push('', 'By hand:', ...plan.manual.map((step, i) => `  ${i + 1}. ${step}`));
  if (plan.warnings.length > 0) lines.push('', ...plan.warnings.map((w) => `!! ${w}`));
  lines.push(
    '',
    'Pre-flight:',
    ...preflight.map((c) => `  ${MARK[c.level]} ${c.title}: ${c.detail}`),
  );
  if (files) {
    const bytes = files.files.reduce((sum, f) => sum + f.size, 0);
    const state =
      files.bytesOnWire > 0
        ? files.verified
          ? 'sent and verified on the VM'
          : 'sent, NOT verified'
        : 'not sent (use --send-drivers)';
    lines.push(
      '',
      `Difference files: ${files.files.length} (${formatBytes(bytes)}) to ${files.targetDir}: ${files.files.length === 0 ? 'none, the VM holds them all' : state}`,
      ...files.files.map((f) => `  ${f.reason.padEnd(8)} ${f.path}`),
    );
  }
  const blockers = [
    ...plan.blockers.map((b) => b.message),
    ...preflight.filter((c) => c.level === 'blocker').map((c) => `${c.title}: ${c.detail}`),
  ];
  lines.push(
    '',
    blockers.length === 0 ? 'No blockers.' : 'BLOCKED:',
    ...blockers.map((b) => `  XX ${b}`),
  );
  return `${lines.join('\n')}\n`;
}
