import { readFile } from 'node:fs/promises';
import { pathExists } from '../paths/path-exists.ts';
import os from 'node:os';
import type { NetworkInterface, Volume } from '../../shared/inspection.ts';
import { mountedVolumes } from './mounted-volumes.ts';
import { runTool, type ToolRunner } from './run-tool.ts';

/**
 * Everything the inspection asks of the machine, in one seam: the live machine by default,
 * captured files and tool outputs in tests.
 */
export interface InspectionHost {
  platform: 'linux' | 'win32' | string;
  hostname: string;
  kernel: string;
  arch: string;
  cpus: number;
  memoryBytes: number;
  network: NetworkInterface[];
  /** A file's text, or null where it does not exist or cannot be read. */
  readText(path: string): Promise<string | null>;
  exists(path: string): Promise<boolean>;
  run: ToolRunner;
  volumes(): Promise<Volume[]>;
}

/** The machine this process runs on. */
export function liveHost(): InspectionHost {
  return {
    platform: process.platform,
    hostname: os.hostname(),
    kernel: os.release(),
    arch: os.arch(),
    cpus: os.cpus().length,
    memoryBytes: os.totalmem(),
    network: Object.entries(os.networkInterfaces()).flatMap(([name, addresses]) => {
      const external = (addresses ?? []).filter((a) => !a.internal);
      if (external.length === 0) return [];
      return [
        { name, mac: external[0]?.mac ?? '', addresses: external.map((a) => a.cidr ?? a.address) },
      ];
    }),
    readText: (path) => readFile(path, 'utf8').catch(() => null),
    exists: pathExists,
    run: runTool,
    volumes: mountedVolumes,
  };
}
