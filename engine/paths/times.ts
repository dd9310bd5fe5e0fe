import type { BigIntStats } from 'node:fs';

/** Nanoseconds since the epoch (a decimal string on the wire) as the seconds utimes takes. */
export function nsToSeconds(ns: string | bigint): number {
  const value = BigInt(ns);
  return Number(value / 1_000_000_000n) + Number(value % 1_000_000_000n) / 1e9;
}

/** The times of a bigint stat as wire strings. */
export function wireTimes(info: BigIntStats): { mtimeNs: string; atimeNs: string } {
  return { mtimeNs: info.mtimeNs.toString(), atimeNs: info.atimeNs.toString() };
}
