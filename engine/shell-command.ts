import { spawn } from 'node:child_process';

/** Output kept from a command; more is cut, so a chatty command cannot fill memory. */
export const MAX_OUTPUT = 64 * 1024;
/** After the command exits, how long what it wrote may take to be read. */
const OUTPUT_GRACE_MS = 500;

/**
 * Runs a command the technician gave (stop, rollback, handover) through the shell; resolves
 * with its exit code (null if it could not start, or was killed: the output then names the
 * signal) and the start of its output. Done when the
 * shell exits, not when its output closes: a daemon it started (`mydb --daemon`, an init script)
 * inherits that output and may hold it open for as long as it runs.
 */
export function runShell(
  command: string,
  cwd: string,
  signal?: AbortSignal,
): Promise<{ exitCode: number | null; output: string }> {
  return new Promise((resolve) => {
    // Its own process group where there are groups, so a cancel ends what it started too
    // (`sleep` under the shell); on Windows `detached` would open a console window instead.
    const group = process.platform !== 'win32';
    const child = spawn(command, {
      shell: true,
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: group,
    });
    const cancel = (): void => {
      try {
        if (group && child.pid) process.kill(-child.pid, 'SIGTERM');
        else child.kill();
      } catch {
        // Already gone.
      }
    };
    if (signal?.aborted) cancel();
    signal?.addEventListener('abort', cancel, { once: true });
    let output = '';
    const collect = (chunk: Buffer): void => {
      if (output.length < MAX_OUTPUT) output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (error) => resolve({ exitCode: null, output: String(error) }));
    child.on('exit', (code, killedBy) => {
      const finish = (): void => {
        clearTimeout(grace);
        signal?.removeEventListener('abort', cancel);
        child.stdout.destroy();
        child.stderr.destroy();
        const kept = output.slice(0, MAX_OUTPUT);
        resolve({
          exitCode: code,
          output: killedBy ? `${kept.trimEnd()}\n(killed by ${killedBy})` : kept,
        });
      };
      const grace = setTimeout(finish, OUTPUT_GRACE_MS);
      child.once('close', finish);
    });
  });
}

/** Quotes one word for a POSIX shell command line. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
