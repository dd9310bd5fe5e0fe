import { parse } from 'csv-parse/sync';
import { P2VError } from '../../shared/errors.ts';

/** One row of `driverquery /v /fo csv`: a driver service Windows knows. */
export interface WindowsDriverService {
  name: string;
  displayName: string;
  type: string;
  startMode: string;
  state: string;
  path: string | null;
}

const REQUIRED = ['Module Name', 'Display Name', 'Driver Type', 'Start Mode', 'State', 'Path'];

/**
 * Parses `driverquery /v /fo csv` (English column names, as on an en-US install; the CSV is
 * quoted and may begin with a byte-order mark).
 */
export function parseDriverquery(text: string): WindowsDriverService[] {
  let rows: Record<string, string>[];
  try {
    rows = parse(text.replace(/^\uFEFF/, ''), {
      columns: true,
      skip_empty_lines: true,
      trim: true,
    }) as Record<string, string>[];
  } catch (error) {
    throw new P2VError('PARSE_FAILED', `driverquery CSV: ${(error as Error).message}`);
  }
  if (rows.length === 0) throw new P2VError('PARSE_FAILED', 'driverquery listed no drivers');
  const missing = REQUIRED.filter((column) => !(column in (rows[0] as object)));
  if (missing.length > 0)
    throw new P2VError('PARSE_FAILED', `driverquery CSV lacks ${missing.join(', ')}`);
  return rows.map((row) => ({
    name: row['Module Name'] as string,
    displayName: row['Display Name'] as string,
    type: row['Driver Type'] as string,
    startMode: row['Start Mode'] as string,
    state: row.State as string,
    path: row.Path || null,
  }));
}
