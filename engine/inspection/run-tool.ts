import { execFile } from 'node:child_process';

/** What a system tool printed; `missing` when it is not installed. */
export interface ToolOutput {
  missing: boolean;
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a tool without a shell; the inspection's one seam to the system, replaced in tests. */
export type ToolRunner = (command: string, args: string[]) => Promise<ToolOutput>;

/** How long an inspection tool may take; image tools pass their own limit (none). */
const TOOL_TIMEOUT_MS = 30_000;

/**
 * Runs a system tool and collects its output; never throws for a missing or failing tool.
 * `input` is written to its standard input.
 */
export function runTool(
  command: string,
  args: string[],
  options: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<ToolOutput> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      {
        timeout: options.timeoutMs ?? TOOL_TIMEOUT_MS,
        maxBuffer: 64 * 1024 * 1024,
        windowsHide: true,
        ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
      },
      (error, stdout, stderr) => {
        const code = (error as NodeJS.ErrnoException | null)?.code;
        resolve({
          missing: code === 'ENOENT',
          exitCode: error ? (typeof code === 'number' ? code : 1) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}
