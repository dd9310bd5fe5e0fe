import { P2VError } from '../shared/errors.ts';

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/** Parses "1048576", "512k", "1MiB", "2.5GB" into bytes. */
export function parseBytes(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? UNITS[(match[2] ?? '').toLowerCase()] : undefined;
  if (!match || unit === undefined)
    throw new P2VError('BAD_ARGUMENT', `not a size: ${text} (try 1048576, 512k, 1MiB)`);
  return Math.round(Number(match[1]) * unit);
}

/** Parses a non-negative number of seconds. */
export function parseSeconds(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0)
    throw new P2VError('BAD_ARGUMENT', `not a number of seconds: ${text}`);
  return value;
}

/** Parses a positive whole number. */
export function parseCount(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new P2VError('BAD_ARGUMENT', `not a whole number ≥ 1: ${text}`);
  return value;
}

/** Parses HOST:PORT ([::1]:PORT for IPv6). */
export function parseHostPort(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) throw new P2VError('BAD_ARGUMENT', `not HOST:PORT: ${text}`);
  return { host: (match[1] ?? match[2]) as string, port };
}

const RATE_UNITS: Record<string, number> = {
  '': 1e6 / 8,
  kbit: 1e3 / 8,
  mbit: 1e6 / 8,
  gbit: 1e9 / 8,
  'kb/s': 1e3,
  'mb/s': 1e6,
  'kib/s': 1024,
  'mib/s': 1024 ** 2,
};

/**
 * Parses a bandwidth into bytes per second: a bare number is Mbit/s, as links are sold and as
 * other migration tools' limits are given ("40", "0.5"); "800kbit", "1gbit", "5MB/s", "5MiB/s".
 */
export function parseRate(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z/]*)\s*$/i.exec(text);
  const unit = match ? RATE_UNITS[(match[2] ?? '').toLowerCase()] : undefined;
  const rate = match && unit !== undefined ? Number(match[1]) * unit : 0;
  if (!(rate > 0))
    throw new P2VError('BAD_ARGUMENT', `not a bandwidth: ${text} (try 40 for 40 Mbit/s, 5MB/s)`);
  return rate;
}

/** Parses --compress: auto, on or off. */
export function parseCompressionMode(text: string): 'auto' | 'on' | 'off' {
  if (text === 'auto' || text === 'on' || text === 'off') return text;
  throw new P2VError('BAD_ARGUMENT', `--compress must be auto, on or off, not ${text}`);
}

/** Parses --converge-method. */
export function parseThrottleMethod(text: string): 'auto' | 'cgroup-v2' | 'cgroup-v1' | 'signals' {
  if (text === 'auto' || text === 'cgroup-v2' || text === 'cgroup-v1' || text === 'signals')
    return text;
  throw new P2VError(
    'BAD_ARGUMENT',
    `--converge-method must be auto, cgroup-v2, cgroup-v1 or signals, not ${text}`,
  );
}
