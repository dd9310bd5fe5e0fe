import type { TFunction } from 'i18next';

/** Bytes in binary units, as technicians read them: 1.5 GiB, 320 KiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/**
 * Milliseconds as "850 ms", "12.3 s" or "4 min 05 s"; with a catalog's `t`, in its language's
 * units ("12.3 秒").
 */
export function formatDuration(ms: number, t?: TFunction): string {
  const say = (key: 'ms' | 's' | 'min', params: Record<string, string | number>, en: string) =>
    t ? t(`units.${key}`, params) : en;
  if (ms < 1000) {
    const n = Math.round(ms);
    return say('ms', { n }, `${n} ms`);
  }
  if (ms < 60_000) {
    const n = (ms / 1000).toFixed(1);
    return say('s', { n }, `${n} s`);
  }
  // Rounded to whole seconds first: 119.6 s is 2 min 00 s, not 1 min 60 s.
  const seconds = Math.round(ms / 1000);
  const m = Math.floor(seconds / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return say('min', { m, s }, `${m} min ${s} s`);
}

/**
 * A moment as a technician reads it, in the local time of the machine that shows it, with the
 * offset so a report read elsewhere is still exact: "2026-12-03 08:47:04.120 (UTC+01:00)".
 * Milliseconds stay: a cutover's steps are often apart by less than a second.
 */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const two = (n: number): string => String(n).padStart(2, '0');
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const zone = `UTC${sign}${two(Math.floor(Math.abs(offset) / 60))}:${two(Math.abs(offset) % 60)}`;
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, '0')} (${zone})`;
}
