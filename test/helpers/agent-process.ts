import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The CLI entry, run as a real process the way a technician runs it. */
export const P2V_BIN = fileURLToPath(new URL('../../bin/p2v.js', import.meta.url));

/** A `p2v agent` child process and what it printed when it started listening. */
export interface AgentProcess {
  child: ChildProcess;
  host: string;
  port: number;
  token: string;
  fingerprint: string;
  /** Log events the agent printed (JSON lines). */
  events: Record<string, unknown>[];
  /** Resolves when the agent prints an event of this name. */
  waitForEvent(name: string): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** Starts `p2v agent --json` (or another agent program, such as the one-file agent) and waits for its listening line. */
export function startAgentProcess(
  args: string[],
  program: string[] = [process.execPath, P2V_BIN, 'agent'],
): Promise<AgentProcess> {
  const [command, ...before] = program as [string, ...string[]];
  const child = spawn(command, [...before, '--json', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: Record<string, unknown>[] = [];
  const waiters: { name: string; resolve: (e: Record<string, unknown>) => void }[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    // Stopping twice, or after the agent ended on its own, must not wait for a second close.
    let outputEnded = false;
    lines.once('close', () => (outputEnded = true));
    lines.on('line', (line) => {
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      events.push(event);
      for (const waiter of waiters.filter((w) => w.name === event.event)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(event);
      }
      if (event.event === 'listening') {
        resolve({
          child,
          host: event.host as string,
          port: event.port as number,
          token: event.token as string,
          fingerprint: event.fingerprint as string,
          events,
          waitForEvent: (name) => {
            const seen = events.find((e) => e.event === name);
            if (seen) return Promise.resolve(seen);
            return new Promise((r) => waiters.push({ name, resolve: r }));
          },
          stop: () =>
            new Promise<void>((done) => {
              if (outputEnded) return done();
              // Output is read to its end, so the agent's last line (its exit event) is in `events`.
              lines.once('close', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.once('close', (code) =>
      reject(new Error(`agent exited with ${code} before listening: ${stderr}`)),
    );
  });
}

/**
 * Arguments for `p2v migrate --json --yes` of `source` onto the agent's root, with nothing left
 * out by default; `extra` adds --state, --report and the like.
 */
export function migrateArgs(
  agent: Pick<AgentProcess, 'host' | 'port' | 'token' | 'fingerprint'>,
  source: string,
  extra: string[],
): string[] {
  return [
    'migrate',
    '--json',
    '--yes',
    '--no-default-excludes',
    '--source',
    `${source}:/`,
    ...targetArgs(agent),
    ...extra,
  ];
}

/** `--target HOST:PORT --token T --fingerprint F` for an agent. */
export function targetArgs(
  agent: Pick<AgentProcess, 'host' | 'port' | 'token' | 'fingerprint'>,
): string[] {
  return [
    '--target',
    `${agent.host}:${agent.port}`,
    '--token',
    agent.token,
    '--fingerprint',
    agent.fingerprint,
  ];
}
