import { P2VError } from '../../shared/errors.ts';
import { runTool } from '../inspection/run-tool.ts';

/**
 * Runs an image tool through the same runner as the inspection, without its time limit (a
 * large filesystem takes minutes); a missing tool or a failure is a clear error naming the
 * Debian package to install.
 */
export async function runChecked(
  command: string,
  args: string[],
  pkg: string,
  input?: string,
): Promise<string> {
  const out = await runTool(command, args, {
    timeoutMs: 0,
    ...(input !== undefined ? { input } : {}),
  });
  if (out.missing)
    throw new P2VError('IO_ERROR', `${command} is not installed (Debian package ${pkg})`);
  if (out.exitCode !== 0)
    throw new P2VError(
      'IO_ERROR',
      `${command} failed: ${out.stderr.trim() || `exit ${out.exitCode}`}`,
    );
  return out.stdout;
}
