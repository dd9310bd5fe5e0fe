import type { TFunction } from 'i18next';
import type { BlockDevice, MachineInspection } from '../shared/inspection.ts';
import { formatBytes } from '../shared/format.ts';
import { renderMessage } from '../shared/i18n/render-message.ts';

/** Where the safety pre-flight says what a hibernation state means, by its title. */
const HIBERNATION_TITLE = {
  'fast-startup': 'preflight.fastStartupTitle',
  hibernated: 'preflight.hibernatedTitle',
  unknown: 'preflight.hibernationUnknownTitle',
} as const;

/** The inspection as a technician reads it on a terminal, in the language `t` speaks. */
export function describeMachine(t: TFunction, m: MachineInspection): string {
  const labelled = (label: string, value: string | number): string =>
    t('format.labelled', { label: t(label), value });
  const heading = (label: string): string => t('format.heading', { label: t(label) });
  const lines = [
    `${m.hostname}: ${m.os.name} (${m.os.type} ${m.os.version}), ${m.os.kernel}, ${m.os.arch}`,
    [
      labelled('machine.boot', m.bootMode.toUpperCase()),
      labelled('machine.cpus', m.cpus),
      labelled('machine.memory', formatBytes(m.memoryBytes)),
    ].join('   '),
    '',
    heading('cli.inspect.disks'),
    ...m.disks.flatMap((d) => diskLines(t, d, '  ')),
    '',
    heading('machine.volumes'),
    ...m.volumes.map(
      (v) =>
        `  ${t('machine.volumeLine', {
          mountpoint: v.mountpoint,
          fsType: v.fsType ?? '?',
          used: formatBytes(v.usedBytes),
          size: formatBytes(v.sizeBytes),
        })} — ${v.device}`,
    ),
    '',
    heading('machine.network'),
    ...m.network.map((n) => `  ${n.name} ${n.mac} ${n.addresses.join(' ')}`),
    '',
    t('cli.inspect.services', { label: t('machine.services'), count: m.services.length }),
    ...m.services.map((s) => `  ${s.name}  ${s.description}`),
    '',
    labelled(
      'machine.drivers',
      t(m.drivers.initramfs ? 'cli.inspect.driversInitramfs' : 'cli.inspect.drivers', {
        count: m.drivers.drivers.filter((d) => d.loaded).length,
        path: m.drivers.initramfs?.path,
      }),
    ),
  ];
  if (m.safety.hibernation !== 'off')
    lines.push(`!! ${t(HIBERNATION_TITLE[m.safety.hibernation])}`);
  if (m.safety.encryptedVolumes.length > 0)
    lines.push(labelled('cli.inspect.encrypted', m.safety.encryptedVolumes.join(', ')));
  if (m.noteMessages.length > 0)
    lines.push(
      '',
      heading('machine.notes'),
      ...m.noteMessages.map((n) => `  - ${renderMessage(t, n)}`),
    );
  return `${lines.join('\n')}\n`;
}

function diskLines(t: TFunction, d: BlockDevice, indent: string): string[] {
  const facts = [
    d.type,
    formatBytes(d.sizeBytes),
    d.fsType,
    d.label && t('cli.inspect.label', { label: d.label }),
  ]
    .filter(Boolean)
    .join(', ');
  const mounted =
    d.mountpoints.length > 0
      ? ` ${t('cli.inspect.mountedOn', { mountpoints: d.mountpoints.join(', ') })}`
      : '';
  return [
    `${indent}${d.path} (${facts})${mounted}`,
    ...d.children.flatMap((c) => diskLines(t, c, `${indent}  `)),
  ];
}
