import { P2VError } from '../../shared/errors.ts';
import type { Service } from '../../shared/inspection.ts';
import { shellQuote } from '../shell-command.ts';

/** Arguments for `systemctl` that list running services in a stable, parseable form. */
export const SYSTEMCTL_ARGS = [
  'list-units',
  '--type=service',
  '--state=running',
  '--no-pager',
  '--no-legend',
  '--plain',
  '--full',
];

/** Parses `systemctl list-units --plain --no-legend` lines: UNIT LOAD ACTIVE SUB DESCRIPTION. */
export function parseSystemctlUnits(text: string): Service[] {
  const services: Service[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    // A failed unit may carry a bullet in front even with --plain on some versions.
    const fields = line
      .replace(/^\s*[●*]\s*/, '')
      .trim()
      .split(/\s+/);
    const [unit, load, active, sub] = fields;
    if (!unit || !sub || !load || !active || !unit.includes('.'))
      throw new P2VError('PARSE_FAILED', `systemctl line ${index + 1}: ${line}`);
    services.push({
      name: unit,
      description: fields.slice(4).join(' '),
      state: sub,
      stopCommand: `systemctl stop ${shellQuote(unit)}`,
      startCommand: `systemctl start ${shellQuote(unit)}`,
    });
  }
  return services;
}
