import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAX_OUTPUT } from '../shell-command.ts';

/** How often a restarted agent looks whether a handover command it lost track of has ended. */
const POLL_MS = 250;

/** A handover command's result: its exit code (null when it could not start) and output. */
export interface HandoverResult {
  exitCode: number | null;
  output: string;
}

/**
 * The handover command runs under a small shell wrapper in its own process group that writes
 * the command's output and, when it ends, its exit code into the agent's state folder. So the
 * result survives the agent itself being killed while the command runs: a restarted agent reads
 * it (or waits for it) instead of guessing whether the program started.
 */
const WRAPPER = '/bin/sh -c "$1" >"$2" 2>&1; echo $? >"$3.tmp"; mv "$3.tmp" "$3"';

function files(stateDir: string): { out: string; exit: string } {
  return { out: join(stateDir, 'handover-output.log'), exit: join(stateDir, 'handover-exit') };
}

/**
 * Starts the handover command in `cwd`; `started` gets the wrapper's pid (to record before the
 * result can matter), the promise its result.
 */
export async function runHandoverCommand(
  command: string,
  cwd: string,
  stateDir: string,
  started: (pid: number) => Promise<void>,
): Promise<HandoverResult> {
  const { out, exit } = files(stateDir);
  await rm(exit, { force: true });
  const child = spawn('/bin/sh', ['-c', WRAPPER, 'p2v-handover', command, out, exit], {
    cwd,
    stdio: 'ignore',
    detached: true,
  });
  const ended = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  if (child.pid) await started(child.pid);
  await ended;
  return (
    (await readResult(stateDir)) ?? { exitCode: null, output: 'the handover command did not start' }
  );
}

/**
 * The result of a handover command started by an earlier run of the agent: read when it ended,
 * waited for while its wrapper still runs, null when it is gone without a result (the machine
 * restarted under it): then nobody knows whether the program started.
 */
export async function settleLostHandover(
  stateDir: string,
  pid: number | undefined,
): Promise<HandoverResult | null> {
  for (;;) {
    const result = await readResult(stateDir);
    if (result) return result;
    if (!pid || !alive(pid)) return readResult(stateDir);
    await sleep(POLL_MS);
  }
}

async function readResult(stateDir: string): Promise<HandoverResult | null> {
  const { out, exit } = files(stateDir);
  let code: string;
  try {
    code = (await readFile(exit, 'utf8')).trim();
  } catch {
    return null;
  }
  const output = await readFile(out, 'utf8').catch(() => '');
  const exitCode = /^\d+$/.test(code) ? Number(code) : null;
  return { exitCode, output: output.slice(0, MAX_OUTPUT) };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
