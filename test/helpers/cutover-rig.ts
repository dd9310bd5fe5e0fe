import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { freePort } from '../../engine/net/free-port.ts';
import { runShell, shellQuote } from '../../engine/shell-command.ts';
import { P2V_BIN, startAgentProcess, targetArgs, type AgentProcess } from './agent-process.ts';
import { tempDir } from './temp-dir.ts';

const LEDGER = fileURLToPath(new URL('./ledger-program.mjs', import.meta.url));

export type Side = 'source' | 'target';

/** What a `p2v migrate` run printed and how it ended. */
export interface MigrateRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  events: Record<string, unknown>[];
  stderr: string;
}

/** A ledger database as one side holds it. */
export interface Ledger {
  integrity: string;
  rows: number;
  lastId: number;
}

/**
 * A source machine running the ledger program, and an agent (a real `p2v agent` process on a
 * fixed port, so it can be killed and started again where the source reconnects) whose handover
 * starts the same program on the target's copy. Stop, rollback and handover commands are real
 * shell commands; which side runs the program is read from each side's lock file.
 */
export class CutoverRig {
  agent!: AgentProcess;
  private agentArgs: string[] = [];

  private constructor(readonly base: string) {}

  static async create(): Promise<CutoverRig> {
    const rig = new CutoverRig(await tempDir('p2v-cutover-'));
    await mkdir(join(rig.base, 'source/app'), { recursive: true });
    await mkdir(join(rig.base, 'run'), { recursive: true });
    await writeFile(join(rig.base, 'source/app/config.ini'), '[ledger]\nrows = 1\n');
    const port = await freePort();
    rig.agentArgs = [
      '--root',
      join(rig.base, 'target'),
      '--state',
      join(rig.base, 'agent-state'),
      '--listen',
      `127.0.0.1:${port}`,
      '--on-handover',
      rig.noted('handover', rig.startCommand('target')),
    ];
    rig.agent = await startAgentProcess(rig.agentArgs);
    const started = await runShell(rig.startCommand('source'), rig.base);
    if (started.exitCode !== 0) throw new Error(`the program did not start: ${started.output}`);
    return rig;
  }

  private lock(side: Side): string {
    return join(this.base, 'run', `${side}.lock`);
  }

  /** Every row id the program committed on `side`, in order. */
  committed(side: Side): number[] {
    const file = join(this.base, 'run', `${side}.committed`);
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
  }

  /** Starts the program on a side unless it runs there; returns once it holds its lock. */
  startCommand(side: Side): string {
    const root = join(this.base, side);
    const lock = shellQuote(this.lock(side));
    const run = [process.execPath, LEDGER, join(root, 'app/ledger.db'), this.lock(side)]
      .map(shellQuote)
      .join(' ');
    const log = shellQuote(join(this.base, 'run', `${side}.committed`));
    return [
      `if [ -f ${lock} ] && kill -0 "$(cat ${lock})" 2>/dev/null; then exit 0; fi`,
      `${run} ${log} </dev/null >/dev/null 2>&1 &`,
      // Started when it holds its lock; a program that died at start fails the command.
      `child=$!; while [ ! -f ${lock} ]; do kill -0 $child 2>/dev/null || exit 1; sleep 0.02; done`,
    ].join('\n');
  }

  /** Stops the program on the source and waits until it has exited; nothing to do if it is not running. */
  stopCommand(): string {
    const lock = shellQuote(this.lock('source'));
    return [
      `[ -f ${lock} ] || exit 0`,
      `pid=$(cat ${lock}); kill -TERM "$pid" 2>/dev/null || exit 0`,
      `tail --pid="$pid" -s 0.02 -f /dev/null`,
    ].join('\n');
  }

  /** Whether the program runs on `side`: its lock names a live process. */
  runs(side: Side): boolean {
    try {
      process.kill(Number(readFileSync(this.lock(side), 'utf8').trim()), 0);
      return true;
    } catch {
      return false;
    }
  }

  /** The ledger database on `side`, read once its program is stopped or through WAL while it runs. */
  ledger(side: Side): Ledger {
    const db = new Database(join(this.base, side, 'app/ledger.db'), { readonly: true });
    try {
      const integrity = String(db.pragma('integrity_check', { simple: true }));
      const { rows, lastId } = db
        .prepare('SELECT count(*) AS rows, coalesce(max(id), 0) AS lastId FROM ledger')
        .get() as { rows: number; lastId: number };
      return { integrity, rows, lastId };
    } finally {
      db.close();
    }
  }

  /** Which of the commands ran, in order ('stop', 'rollback' here, 'handover' on the target). */
  commandsRun(): string[] {
    const file = join(this.base, 'run', 'commands');
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  }

  noted(name: string, command: string): string {
    return `echo ${name} >> ${shellQuote(join(this.base, 'run', 'commands'))}\n${command}`;
  }

  /** The `p2v migrate` command line of this rig, as a technician would type it again. */
  migrateArgs(extra: string[] = []): string[] {
    return [
      'migrate',
      '--json',
      '--yes',
      '--no-default-excludes',
      '--source',
      `${join(this.base, 'source')}:/`,
      ...targetArgs(this.agent),
      '--state',
      join(this.base, 'state'),
      '--stop-cmd',
      this.noted('stop', this.stopCommand()),
      '--rollback-cmd',
      this.noted('rollback', this.startCommand('source')),
      '--threshold',
      '1GiB',
      '--max-rounds',
      '2',
      ...extra,
    ];
  }

  /** Runs `p2v migrate`; `onEvent` sees each JSON event as it comes, with the child process. */
  migrate(
    onEvent?: (event: Record<string, unknown>, child: ChildProcess) => void,
    extra: string[] = [],
  ): {
    child: ChildProcess;
    done: Promise<MigrateRun>;
  } {
    const child = spawn(process.execPath, [P2V_BIN, ...this.migrateArgs(extra)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const events: Record<string, unknown>[] = [];
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      events.push(event);
      onEvent?.(event, child);
    });
    // 'close', not 'exit': it comes once stdout and stderr are read to their end, so the last
    // error line is in `stderr` (after 'exit' it may still be in the pipe).
    const done = new Promise<MigrateRun>((resolve) => {
      let closed = false;
      let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
      const finish = (): void => {
        if (exit && closed) resolve({ ...exit, events, stderr });
      };
      child.once('close', (code, signal) => {
        exit = { code, signal };
        finish();
      });
      lines.once('close', () => {
        closed = true;
        finish();
      });
    });
    return { child, done };
  }

  /** Stops the agent and starts it again on the same address and state, with `extra` flags. */
  async restartAgent(extra: string[] = []): Promise<void> {
    await this.agent.stop();
    this.agent = await startAgentProcess([...this.agentArgs, ...extra]);
  }

  /** Kills the agent with SIGKILL and starts it again on the same address and state. */
  async killAgentAndRestart(): Promise<void> {
    const child = this.agent.child;
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await gone;
    }
    this.agent = await startAgentProcess(this.agentArgs);
  }

  /** Ends whatever the rig started: both programs and the agent. */
  async close(): Promise<void> {
    for (const side of ['source', 'target'] as const) {
      try {
        process.kill(Number(readFileSync(this.lock(side), 'utf8').trim()), 'SIGTERM');
      } catch {
        // not running
      }
    }
    await this.agent.stop();
  }
}
