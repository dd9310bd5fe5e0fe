import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { runShell } from '../../engine/shell-command.ts';

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
});
