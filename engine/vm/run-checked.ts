import { execFile } from 'node:child_process';
import { P2VError } from '../../shared/errors.ts';

/** Runs an image tool; a missing tool or a failure is a clear error naming the package. */
export function runChecked(
  command: string,
  args: string[],
  pkg: string,
  input?: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      { maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) return resolve(String(stdout));
        if ((error as NodeJS.ErrnoException).code === 'ENOENT')
          return reject(
            new P2VError('IO_ERROR', `${command} is not installed (Debian package ${pkg})`),
          );
        reject(
          new P2VError('IO_ERROR', `${command} failed: ${String(stderr).trim() || error.message}`),
        );
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}
