import { spawn } from 'node:child_process';

/** Output kept from a command; more is cut, so a chatty command cannot fill memory. */
const MAX_OUTPUT = 64 * 1024;

/**
 * Runs a command the technician gave (stop, rollback, handover) through the shell; resolves
 * with its exit code (null if it could not start) and the start of its output.
 */
export function runShell(
  command: string,
  cwd: string,
): Promise<{ exitCode: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, { shell: true, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer): void => {
      if (output.length < MAX_OUTPUT) output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (error) => resolve({ exitCode: null, output: String(error) }));
    child.on('close', (code) => resolve({ exitCode: code, output: output.slice(0, MAX_OUTPUT) }));
  });
}

/** Quotes one word for a POSIX shell command line. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
