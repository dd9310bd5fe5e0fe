import type { MigrationCheck } from '../../shared/report.ts';
import { formatBytes } from './format.ts';
import { escape, keyValueTable, table } from './html-parts.ts';

const LEVEL = { ok: 'OK', warning: 'Warning', blocker: 'Blocker' } as const;

/** The check before the copy: the machine, the VM profile, the driver plan, pre-flight, files. */
export function renderCheckHtml(check: MigrationCheck): string {
  const m = check.machine;
  const plan = check.plan;
  const machine = keyValueTable([
    ['Host', m.hostname],
    ['Operating system', `${m.os.name} (${m.os.type} ${m.os.version})`],
    ['Kernel / build', `${m.os.kernel}, ${m.os.arch}`],
    ['Boot', m.bootMode.toUpperCase()],
    ['CPUs / memory', `${m.cpus} / ${formatBytes(m.memoryBytes)}`],
    [
      'Volumes',
      m.volumes
        .map(
          (v) =>
            `${v.mountpoint} ${v.fsType ?? ''} ${formatBytes(v.usedBytes)} of ${formatBytes(v.sizeBytes)}`,
        )
        .join('; ') || 'none listed',
    ],
    ['Inspected', check.checkedAt],
  ]);
  const target = plan.os.target
    ? `${plan.os.target.name} ${plan.os.target.version}`.trim()
    : 'not named';
  const profile = keyValueTable([
    ['Profile', `${check.profile.name} (${check.profile.id}, ${check.profile.diskFormat})`],
    ['VM operating system', target],
    ['OS comparison', plan.os.relation],
    ['Update condition', plan.condition],
    [
      'Initramfs',
      plan.initramfs.rebuild
        ? `rebuild for ${plan.initramfs.modules.join(', ')}: ${plan.initramfs.command ?? ''}`
        : 'nothing to do',
    ],
  ]);
  const drivers = table(
    ['Driver', 'Role', 'Status', 'Source', 'VM', 'Action', 'What to do'],
    plan.drivers.map((d) => [
      d.name,
      d.role + (d.bootCritical ? ' (boot)' : ''),
      d.status,
      d.sourceVersion ?? d.sourceState,
      d.targetVersion ?? '—',
      d.action,
      d.advice,
    ]),
  );
  const manual = plan.manual.length
    ? `<h3>By hand</h3><ol>${plan.manual.map((step) => `<li>${escape(step)}</li>`).join('')}</ol>`
    : '';
  const blockers = plan.blockers.length
    ? `<h3>Blockers</h3><ul>${plan.blockers.map((b) => `<li class="bad">${escape(b.message)}</li>`).join('')}</ul>`
    : '';
  const preflight = table(
    ['Check', 'Result', 'Detail'],
    check.preflight.map((c) => [c.title, LEVEL[c.level], c.detail]),
  );
  const files = check.driverFiles;
  const difference = files
    ? `<h2>Driver difference files</h2><p>${files.files.length} file(s) to ${escape(files.targetDir)}: ${
        files.bytesOnWire > 0
          ? files.verified
            ? 'sent and verified by checksum on the VM'
            : 'sent but not verified'
          : 'none sent'
      }.</p>${table(
        ['File', 'Why', 'Size', 'Checksum (XXH3-128)'],
        files.files.map((f) => [f.path, f.reason, formatBytes(f.size), f.hash]),
      )}`
    : '';
  return `<h2>Machine</h2>${machine}
<h2>VM profile and drivers</h2>${profile}${drivers}${manual}${blockers}
<h2>Pre-flight checks</h2>${preflight}
${difference}`;
}
