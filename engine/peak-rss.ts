import { readFileSync } from 'node:fs';

/**
 * This process's peak resident memory in bytes. On Linux it reads VmHWM, which starts afresh
 * with each program; getrusage's maxrss would carry over the parent's peak across fork and exec.
 */
export function peakRssBytes(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}
