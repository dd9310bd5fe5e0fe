import { P2VError } from '../../shared/errors.ts';

/** A third-party driver package in the Windows driver store, from `pnputil /enum-drivers`. */
export interface DriverPackage {
  publishedName: string;
  /** The package's own .inf name (`viostor.inf`); older pnputil versions do not print it. */
  originalName: string | null;
  provider: string;
  className: string;
  /** `MM/DD/YYYY` as printed. */
  date: string | null;
  version: string | null;
  signer: string | null;
}

/** Field names across pnputil versions (`/enum-drivers` and the older `-e`), lower-cased. */
const KEYS: Record<string, keyof DriverPackage | 'dateVersion'> = {
  'published name': 'publishedName',
  'original name': 'originalName',
  'provider name': 'provider',
  'driver package provider': 'provider',
  'class name': 'className',
  class: 'className',
  'driver version': 'dateVersion',
  'driver date and version': 'dateVersion',
  'signer name': 'signer',
};

/**
 * Parses `pnputil /enum-drivers` (Windows 10 / Server 2016 and later) or `pnputil -e`: blocks of
 * `Name: value` lines separated by blank lines, after a title line.
 */
export function parsePnputil(text: string): DriverPackage[] {
  const packages: DriverPackage[] = [];
  let current: Partial<Record<keyof DriverPackage | 'dateVersion', string>> | null = null;
  const finish = (): void => {
    if (!current) return;
    if (!current.publishedName)
      throw new P2VError('PARSE_FAILED', 'pnputil block without a published name');
    const [date, version] = splitDateVersion(current.dateVersion ?? '');
    packages.push({
      publishedName: current.publishedName,
      originalName: current.originalName ?? null,
      provider: current.provider ?? '',
      className: current.className ?? '',
      date,
      version,
      signer: current.signer ?? null,
    });
    current = null;
  };
  for (const line of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    if (line.trim() === '') {
      finish();
      continue;
    }
    const match = /^\s*([^:]+?)\s*:\s*(.*)$/.exec(line);
    const key = match ? KEYS[(match[1] as string).toLowerCase()] : undefined;
    if (!match || !key) continue; // the title line and fields this parser has no use for
    if (key === 'publishedName') finish();
    current ??= {};
    current[key] = (match[2] as string).trim();
  }
  finish();
  if (packages.length === 0 && !/Microsoft PnP Utility/i.test(text))
    throw new P2VError('PARSE_FAILED', 'pnputil printed no driver packages');
  return packages;
}

function splitDateVersion(value: string): [string | null, string | null] {
  const match = /^(\d{1,2}\/\d{1,2}\/\d{4})\s+(\S+)$/.exec(value.trim());
  if (match) return [match[1] as string, match[2] as string];
  return [null, value.trim() || null];
}
