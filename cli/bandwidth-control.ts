import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RateLimit } from '../engine/protocol/rate-limit.ts';
import { parseRate } from './parse-options.ts';

/** What the control file holds for no limit. */
const NO_LIMIT = /^(none|off|0)$/i;

/** "16 Mbit/s" for a rate in bytes per second, or "none". */
export function describeRate(bytesPerSecond: number | null): string {
  if (bytesPerSecond === null) return 'none';
  const mbit = (bytesPerSecond * 8) / 1e6;
  return `${Number(mbit.toPrecision(3))} Mbit/s`;
}

/**
 * A running migration's bandwidth limit, changeable from outside while it runs: the limit is
 * written to `file` (in the state folder) when it starts, and whatever the technician writes
 * there later (`echo 40 > FILE`, `echo none > FILE`) is applied within a second. A file that
 * cannot be read as a rate is said and leaves the limit as it was. Returns a function that stops
 * watching.
 */
export async function controlBandwidth(
  file: string,
  limit: RateLimit,
  say: (line: string) => void,
): Promise<() => void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(
    file,
    `${limit.rate === null ? 'none' : describeRate(limit.rate).split(' ')[0]}\n`,
  );
  const apply = async (): Promise<void> => {
    const text = (await readFile(file, 'utf8').catch(() => '')).trim();
    if (text === '') return;
    try {
      limit.set(NO_LIMIT.test(text) ? null : parseRate(text));
      say(`Bandwidth limit now ${describeRate(limit.rate)} (from ${file}).`);
    } catch (error) {
      say(`${file}: ${(error as Error).message}; the limit stays ${describeRate(limit.rate)}.`);
    }
  };
  const changed = (now: Stats, before: Stats): void => {
    if (now.mtimeMs !== before.mtimeMs || now.size !== before.size) void apply();
  };
  watchFile(file, { interval: 1000, persistent: false }, changed);
  return () => unwatchFile(file, changed);
}
