import assert from 'node:assert/strict';
import { once } from 'node:events';
import { watch } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runShell, shellQuote } from '../../engine/shell-command.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** Resolves once `name` exists in `dir`. */
function fileAppears(dir: string, name: string): Promise<void> {
  return new Promise((resolve) => {
    const watcher = watch(dir, () => check());
    const check = (): void =>
      void access(join(dir, name)).then(
        () => {
          watcher.close();
          resolve();
        },
        () => undefined,
      );
    check();
  });
}

describe('a technician’s command (stop, handover, rollback)', { timeout: 20_000 }, () => {
  it('is done when it exits, even if a program it started keeps its output open', async () => {
    // What a handover like `mydb --daemon` or an init script without redirections does: the
    // daemon inherits the command's stdout and holds it for as long as it runs.
    const { exitCode, output } = await runShell('sleep 600 & echo "started $!"', tmpdir());
    const pid = Number(/started (\d+)/.exec(output)?.[1]);
    try {
      assert.equal(exitCode, 0);
      assert.ok(pid > 0, `the output before the exit is kept: ${output}`);
    } finally {
      if (pid > 0) process.kill(pid, 'SIGKILL');
    }
  });

  it('keeps its exit code and output when it fails', async () => {
    const { exitCode, output } = await runShell('echo out; echo err >&2; exit 3', tmpdir());
    assert.equal(exitCode, 3);
    assert.match(output, /out/);
    assert.match(output, /err/);
  });

  it('names the signal that killed it', async () => {
    const { exitCode, output } = await runShell('echo before; kill -KILL $$', tmpdir());
    assert.equal(exitCode, null);
    assert.match(output, /before\n\(killed by SIGKILL\)$/);
  });

  it('is ended with what it started when the technician cancels', async () => {
    const cancel = new AbortController();
    const dir = await tempDir();
    const told = join(dir, 'told');
    // A program the command started: it writes `told` when it is told to stop, and says (by a
    // signal to this process) once it is ready.
    const program = `process.on('SIGTERM', () => { require('fs').writeFileSync(${JSON.stringify(told)}, 'SIGTERM'); process.exit(0); }); process.kill(${process.pid}, 'SIGUSR2'); setInterval(() => {}, 1e6);`;
    const ready = once(process, 'SIGUSR2');
    const running = runShell(
      `${shellQuote(process.execPath)} -e ${shellQuote(program)} & wait`,
      tmpdir(),
      cancel.signal,
    );
    await ready;
    const toldWritten = fileAppears(dir, 'told');
    cancel.abort();
    const { exitCode, output } = await running;
    assert.equal(exitCode, null);
    assert.match(output, /killed by SIGTERM/);
    await toldWritten;
    assert.equal(await readFile(told, 'utf8'), 'SIGTERM', 'what it started was told to stop too');
  });
});
