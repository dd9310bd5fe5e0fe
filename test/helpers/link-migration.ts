import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { MigrationReport } from '../../shared/report.ts';
import { migrateArgs, P2V_BIN, startAgentProcess, type AgentProcess } from './agent-process.ts';
import type { ShapedLink } from './shaped-link.ts';

/** Starts `p2v agent` on the link's target host, its root and state under `dir`. */
export function startAgentOnLink(link: ShapedLink, dir: string): Promise<AgentProcess> {
  return startAgentProcess(
    [
      '--listen',
      `${link.targetAddress}:0`,
      '--root',
      join(dir, 'received'),
      '--state',
      join(dir, 'agent-state'),
    ],
    link.on('target', [process.execPath, P2V_BIN, 'agent']),
  );
}

/**
 * A copy progress event as `p2v migrate --json` prints it (one per file sent), with when it
 * was read.
 */
export interface Progress {
  at: number;
  phase: string;
  bytesDone: number;
}

/**
 * Runs `p2v migrate --json` on the source host; resolves with the report it wrote. `onProgress`
 * sees each progress event as it comes, `onSaid` each line on stderr, `onEvent` every event.
 */
export function migrateOnLink(
  link: ShapedLink,
  agent: AgentProcess,
  source: string,
  base: string,
  name: string,
  extra: string[],
  onProgress: (progress: Progress) => void = () => undefined,
  onSaid: (line: string) => void = () => undefined,
  onEvent: (event: Record<string, unknown>) => void = () => undefined,
): Promise<MigrationReport> {
  const report = join(base, name, 'report');
  const [command, ...args] = link.on('source', [
    process.execPath,
    P2V_BIN,
    ...migrateArgs(agent, source, [
      '--state',
      join(base, name, 'state'),
      '--report',
      report,
      ...extra,
    ]),
  ]);
  const child = spawn(command as string, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
    stderr += `${line}\n`;
    onSaid(line);
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const event = JSON.parse(line) as { type?: string; phase?: string; bytesDone?: number };
    onEvent(event);
    // The copy's start counts as its first progress, with nothing sent yet.
    if (event.type === 'phase' && event.phase === 'copy')
      onProgress({ at: Date.now(), phase: 'copy', bytesDone: 0 });
    else if (event.type === 'progress')
      onProgress({
        at: Date.now(),
        phase: event.phase ?? '',
        bytesDone: event.bytesDone ?? 0,
      });
  });
  return new Promise((resolve, reject) => {
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`migrate exited ${code}: ${stderr.slice(-1500)}`));
      readFile(join(report, 'report.json'), 'utf8')
        .then((text) => resolve(JSON.parse(text) as MigrationReport))
        .catch(reject);
    });
  });
}
