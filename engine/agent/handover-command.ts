import { spawn } from 'node:child_process';
import { link, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAX_OUTPUT } from '../shell-command.ts';

/** How often a restarted agent looks whether a handover command it lost track of has ended. */
const POLL_MS = 250;

/** What a claim holds when a restarted agent took it: that attempt's command never runs. */
const ABANDONED = 'abandoned';

/** A handover command's result: its exit code (null when it could not start) and output. */
export interface HandoverResult {
  exitCode: number | null;
  output: string;
}

/**
 * The handover command runs under a small shell wrapper in its own process group. Before the
 * command, the wrapper claims its attempt by hard-linking a file holding its pid to the
 * attempt's claim name (a link fails if the name exists, and never shows a half-written pid);
 * after it, the wrapper writes the exit code. So the result survives the agent being killed at
 * any moment: a restarted agent that finds the claim waits for that pid and reads the result;
 * one that finds no claim takes it itself, and a wrapper still on its way then runs nothing.
 */
const WRAPPER = [
  'echo $$ >"$4.$$"',
  'if ! ln "$4.$$" "$4" 2>/dev/null; then rm -f "$4.$$"; exit 0; fi',
  'rm -f "$4.$$"',
  '/bin/sh -c "$1" >"$2" 2>&1; echo $? >"$3.tmp"; mv "$3.tmp" "$3"',
].join('\n');

function files(stateDir: string, attempt: string): { out: string; exit: string; claim: string } {
  const base = join(stateDir, `handover-${attempt}`);
  return { out: `${base}.log`, exit: `${base}.exit`, claim: `${base}.claim` };
}

/**
 * Earlier attempts' output and exit code (they were settled before a new attempt begins). Their
 * claims stay: a wrapper of an abandoned attempt still on its way must find its claim taken.
 */
async function removeEarlierResults(stateDir: string): Promise<void> {
  const names = await readdir(stateDir);
  await Promise.all(
    names
      .filter((name) => /^handover-.*\.(log|exit)$/.test(name))
      .map((name) => rm(join(stateDir, name), { force: true })),
  );
}

/** Runs the handover command in `cwd` as `attempt`, the name recorded before it starts. */
export async function runHandoverCommand(
  command: string,
  cwd: string,
  stateDir: string,
  attempt: string,
): Promise<HandoverResult> {
  const { out, exit, claim } = files(stateDir, attempt);
  await removeEarlierResults(stateDir);
  const child = spawn('/bin/sh', ['-c', WRAPPER, 'p2v-handover', command, out, exit, claim], {
    cwd,
    stdio: 'ignore',
    detached: true,
  });
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  return (
    (await readResult(stateDir, attempt)) ?? {
      exitCode: null,
      output: 'the handover command did not start',
    }
  );
}

/**
 * The result of a handover attempt an earlier run of the agent recorded: read when its command
 * ended, waited for while its wrapper still runs, `not-started` when no wrapper claimed it (the
 * claim is taken here, so none ever will), null when its wrapper is gone without a result (the
 * machine restarted under it): then nobody knows whether the program started.
 */
export async function settleLostHandover(
  stateDir: string,
  attempt: string | undefined,
): Promise<HandoverResult | 'not-started' | null> {
  if (!attempt) return null;
  for (;;) {
    const result = await readResult(stateDir, attempt);
    if (result) return result;
    const holder = await claimHolder(stateDir, attempt);
    if (holder === ABANDONED) return 'not-started';
    if (!alive(Number(holder))) return readResult(stateDir, attempt);
    await sleep(POLL_MS);
  }
}

/** Who holds the attempt's claim: a wrapper's pid, or ABANDONED once this agent took it. */
async function claimHolder(stateDir: string, attempt: string): Promise<string> {
  const { claim } = files(stateDir, attempt);
  try {
    return (await readFile(claim, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const mine = `${claim}.${process.pid}`;
  await writeFile(mine, `${ABANDONED}\n`);
  try {
    await link(mine, claim);
    return ABANDONED;
  } catch (error) {
    // A wrapper took it between the read and the link: it runs, and is waited for.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return (await readFile(claim, 'utf8')).trim();
  } finally {
    await rm(mine, { force: true });
  }
}

async function readResult(stateDir: string, attempt: string): Promise<HandoverResult | null> {
  const { out, exit } = files(stateDir, attempt);
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
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
