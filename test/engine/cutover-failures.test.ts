import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { migrateTo, startTestAgent } from '../helpers/migrate-in-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { shellQuote } from '../../engine/shell-command.ts';

const stopAgent = fileURLToPath(new URL('../helpers/stop-agent.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');

/**
 * A source of one file and an agent whose handover leaves a marker; the rollback command leaves
 * another, so a test can say which of the two ran.
 */
async function oneFileCutover() {
  const base = await tempDir();
  const source = join(base, 'source');
  await mkdir(source);
  await writeFile(join(source, 'file'), 'x');
  const agent = await startTestAgent(
    join(base, 'target'),
    join(base, 'agent-state'),
    `touch ${shellQuote(join(base, 'handed-over'))}`,
  );
  return {
    base,
    source,
    agent,
    rollbackCommand: `touch ${shellQuote(join(base, 'rolled-back'))}`,
    rolledBack: () => existsSync(join(base, 'rolled-back')),
    handedOver: () => existsSync(join(base, 'handed-over')),
  };
}

describe('a cutover that cannot complete hands nothing over', () => {
  it('restarts the program when the target cannot take the last round', async () => {
    const base = await tempDir();
    const source = join(base, 'source');
    const target = join(base, 'target');
    await mkdir(join(source, 'app'), { recursive: true });
    await writeFile(join(source, 'app/data.txt'), 'before the stop\n');
    const agent = await startTestAgent(
      target,
      join(base, 'agent-state'),
      `touch ${shellQuote(join(base, 'handed-over'))}`,
    );
    try {
      // The "stop" writes the program's last data, while another session has stopped the
      // agent, so the last round cannot be applied.
      const stop = [
        `echo 'after the stop' > ${shellQuote(join(source, 'app/data.txt'))}`,
        [
          process.execPath,
          '--import',
          tsx,
          stopAgent,
          agent.host,
          String(agent.port),
          agent.token,
          agent.fingerprint,
        ]
          .map(shellQuote)
          .join(' '),
      ].join(' && ');
      await assert.rejects(
        migrateTo(agent, source, join(base, 'state'), {
          stopCommand: stop,
          rollbackCommand: `touch ${shellQuote(join(base, 'rolled-back'))}`,
        }),
        (error: Error & { code?: string }) =>
          error.code === 'VERIFY_FAILED' && error.message.includes('app/data.txt'),
      );
      assert.ok(existsSync(join(base, 'rolled-back')), 'the rollback command ran');
      assert.ok(!existsSync(join(base, 'handed-over')), 'the handover command never ran');
      assert.equal(
        await readFile(join(target, 'app/data.txt'), 'utf8'),
        'before the stop\n',
        'the target kept its last good version',
      );
    } finally {
      await agent.close();
    }
  });

  it('stops before the last round when the stop command fails, and restarts the program', async () => {
    const { base, source, agent, rollbackCommand, rolledBack, handedOver } = await oneFileCutover();
    try {
      await assert.rejects(
        migrateTo(agent, source, join(base, 'state'), {
          stopCommand: 'echo "unit not found" >&2; exit 5',
          rollbackCommand,
        }),
        (error: Error & { code?: string }) =>
          error.code === 'NOT_STOPPED' && error.message.includes('unit not found'),
      );
      assert.ok(rolledBack());
      assert.ok(!handedOver());
    } finally {
      await agent.close();
    }
  });

  it('ends a stop command that hangs when the technician cancels, and restarts the program', async () => {
    const { base, source, agent, rollbackCommand, rolledBack, handedOver } = await oneFileCutover();
    const cancel = new AbortController();
    // The stop command says it is running (a signal to this process), then never finishes.
    void once(process, 'SIGUSR2').then(() => cancel.abort());
    try {
      await assert.rejects(
        migrateTo(agent, source, join(base, 'state'), {
          stopCommand: `kill -USR2 ${process.pid}; sleep 600`,
          rollbackCommand,
          signal: cancel.signal,
        }),
        { code: 'CANCELLED' },
      );
      assert.ok(rolledBack(), 'the program was started again');
      assert.ok(!handedOver());
    } finally {
      await agent.close();
    }
  });

  it('honours a cancel that came during the verification: no handover', async () => {
    const { base, source, agent, rollbackCommand, rolledBack, handedOver } = await oneFileCutover();
    const cancel = new AbortController();
    try {
      await assert.rejects(
        migrateTo(agent, source, join(base, 'state'), {
          rollbackCommand,
          signal: cancel.signal,
          emit: (event) => {
            // As the verification ends: the cancel came while it ran.
            if (event.type === 'cutover' && event.step === 'verified') cancel.abort();
          },
        }),
        { code: 'CANCELLED' },
      );
      assert.ok(rolledBack(), 'the program was started again');
      assert.ok(!handedOver(), 'the target was not asked to start it');
    } finally {
      await agent.close();
    }
  });

  it('restarts the program when the target is gone for good after the stop', async () => {
    const { base, source, agent, rollbackCommand, rolledBack } = await oneFileCutover();
    const gone = join(base, 'agent-gone');
    // While the program stops, the target goes away (and stays away).
    void once(process, 'SIGUSR2').then(async () => {
      await agent.close();
      await writeFile(gone, '');
    });
    await assert.rejects(
      migrateTo(agent, source, join(base, 'state'), {
        stopCommand: `kill -USR2 ${process.pid}; while [ ! -e ${shellQuote(gone)} ]; do sleep 0.05; done`,
        rollbackCommand,
        reconnectAttempts: 3,
      }),
      (error: Error & { code?: string }) =>
        /CONNECT_FAILED|CONNECTION_LOST/.test(String(error.code)),
    );
    assert.ok(rolledBack(), 'the program was started again, not left down');
  });

  it('leaves everything to resume when the technician does not confirm the cutover', async () => {
    const base = await tempDir();
    const source = join(base, 'source');
    await mkdir(source);
    await writeFile(join(source, 'file'), 'x');
    const agent = await startTestAgent(join(base, 'target'), join(base, 'agent-state'));
    try {
      await assert.rejects(
        migrateTo(agent, source, join(base, 'state'), {
          confirmCutover: () => Promise.resolve(false),
        }),
        { code: 'CANCELLED' },
      );
      await writeFile(join(source, 'later'), 'written while the cutover was postponed');
      const { report } = await migrateTo(agent, source, join(base, 'state'));
      assert.equal(report.ok, true);
      assert.equal(report.copy?.files, 1, 'the resumed migration did not copy again');
      assert.ok(existsSync(join(base, 'target/later')));
    } finally {
      await agent.close();
    }
  });
});

describe('a cancel (Ctrl-C, SIGTERM, SIGHUP in the CLI) at each cutover step', () => {
  const beforeHandover = [
    'confirmed',
    'stop-command',
    'stopped',
    'final-round',
    'verified',
    'stop-request',
    'stop-answered',
  ] as const;
  for (const step of [...beforeHandover, 'handover'] as const) {
    const asked = step === 'handover';
    it(`at ${step} ${asked ? 'waits for the handover' : 'rolls back and leaves the target open'}, and a re-run finishes`, async () => {
      const { base, source, agent, rollbackCommand, rolledBack, handedOver } =
        await oneFileCutover();
      const cancel = new AbortController();
      const state = join(base, 'state');
      try {
        const run = migrateTo(agent, source, state, {
          stopCommand: 'true',
          rollbackCommand,
          signal: cancel.signal,
          emit: (event) => {
            if (event.type === 'cutover' && event.step === step) cancel.abort();
          },
        });
        if (asked) {
          assert.equal((await run).report.ok, true, 'the handover asked for was seen through');
          assert.ok(handedOver() && !rolledBack());
          return;
        }
        await assert.rejects(run, { code: 'CANCELLED' });
        assert.ok(rolledBack() && !handedOver(), 'started again here, never there');
        const again = await migrateTo(agent, source, state, { rollbackCommand });
        assert.equal(again.report.ok, true, 'the target took writes and the handover again');
        assert.ok(handedOver());
      } finally {
        await agent.close();
      }
    });
  }
});

describe('a target file changed behind the migration’s back', () => {
  it('is found by the verification and sent again, though the source never changed it', async () => {
    const base = await tempDir();
    const source = join(base, 'source');
    const target = join(base, 'target');
    await mkdir(join(source, 'var/log'), { recursive: true });
    await writeFile(join(source, 'var/log/wtmp'), 'the source’s login records\n');
    const agent = await startTestAgent(target, join(base, 'agent-state'));
    try {
      const { report } = await migrateTo(agent, source, join(base, 'state'), {
        verify: 'cached',
        // What a VM's own boot does between the copy and the cutover: it writes a file the
        // source leaves alone, so no change on the source would ever send it again.
        confirmCutover: async () => {
          await writeFile(join(target, 'var/log/wtmp'), 'the VM’s boot record\n');
          return true;
        },
      });
      assert.equal(report.ok, true, `migration failed: ${JSON.stringify(report.error)}`);
      assert.equal(
        await readFile(join(target, 'var/log/wtmp'), 'utf8'),
        'the source’s login records\n',
        'the source’s version is on the target',
      );
      assert.equal(report.verification?.ok, true, 'the second verification matched');
      assert.deepEqual(report.verification?.resent, ['var/log/wtmp'], 'the report names it');
    } finally {
      await agent.close();
    }
  });
});
