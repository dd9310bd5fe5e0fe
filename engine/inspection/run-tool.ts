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

const TOOL_TIMEOUT_MS = 30_000;

/** Runs a system tool and collects its output; never throws for a missing or failing tool. */
export const runTool: ToolRunner = (command, args) =>
  new Promise((resolve) => {
    execFile(
      command,
      args,
      { timeout: TOOL_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024, windowsHide: true },
      (error, stdout, stderr) => {
        const code = (error as NodeJS.ErrnoException | null)?.code;
        resolve({
          missing: code === 'ENOENT',
          exitCode: error
            ? typeof code === 'number'
              ? code
              : ((error as { code?: number }).code ?? 1)
            : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        });
      },
    );
  });
