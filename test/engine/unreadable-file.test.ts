import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { migrateArgs, P2V_BIN, startAgentProcess } from '../helpers/agent-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import type { MigrationReport } from '../../shared/report.ts';

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

describe('a file the source cannot read', () => {
  it(
    'is reported and left out, and the migration still completes',
    { skip: asRoot ? false : 'needs root to run the source as another user' },
    async () => {
      const base = await tempDir();
      const source = join(base, 'source');
      await mkdir(source);
      await writeFile(join(source, 'readable.txt'), 'fine\n');
      await writeFile(join(source, 'secret.key'), 'no\n');
      await chmod(join(source, 'secret.key'), 0o000);
      await mkdir(join(base, 'state'));
      await chown(join(base, 'state'), NOBODY, NOBODY);
      await chmod(base, 0o755);
      const agent = await startAgentProcess([
        '--root',
        join(base, 'target'),
        '--state',
        join(base, 'agent-state'),
      ]);
      try {
        // The source runs as an ordinary user, for whom the key file is unreadable.
        const child = spawn(
          process.execPath,
          [P2V_BIN, ...migrateArgs(agent, source, ['--state', join(base, 'state')])],
          {
            uid: NOBODY,
            gid: NOBODY,
            stdio: ['ignore', 'pipe', 'inherit'],
            env: { ...process.env, HOME: join(base, 'state') },
          },
        );
        const events: Record<string, unknown>[] = [];
        createInterface({ input: child.stdout }).on('line', (line) =>
          events.push(JSON.parse(line) as Record<string, unknown>),
        );
        const code = await new Promise((resolve) => child.once('close', resolve));
        assert.equal(code, 0, 'the migration completed');
        const warnings = events.filter((e) => e.type === 'warning').map((e) => String(e.message));
        assert.equal(
          warnings.filter((w) => w.includes('secret.key')).length,
          1,
          `reported once: ${warnings.join('; ')}`,
        );
        assert.ok(existsSync(join(base, 'target/readable.txt')));
        assert.ok(!existsSync(join(base, 'target/secret.key')));
        // The report and the last line say so, not only a warning that scrolled by.
        const finished = events.find((e) => e.event === 'finished') as { report: string };
        const report = JSON.parse(
          await readFile(finished.report.replace(/report\.html$/, 'report.json'), 'utf8'),
        ) as MigrationReport;
        assert.deepEqual(report.notCopied, {
          count: 1,
          paths: [{ path: 'secret.key', reason: 'EACCES' }],
        });
      } finally {
        await agent.stop();
      }
    },
  );

  it(
    'when its folder becomes unreadable mid-migration, keeps the target copy and does not hand over',
    { skip: asRoot ? false : 'needs root to run the source as another user' },
    async () => {
      const base = await tempDir();
      const source = join(base, 'source');
      await mkdir(join(source, 'etc/app'), { recursive: true });
      await writeFile(join(source, 'etc/app/main.conf'), 'the service’s configuration\n');
      await writeFile(join(source, 'etc/hostname'), 'web-1\n');
      await mkdir(join(base, 'state'));
      await chown(join(base, 'state'), NOBODY, NOBODY);
      await chmod(base, 0o755);
      const agent = await startAgentProcess([
        '--root',
        join(base, 'target'),
        '--state',
        join(base, 'agent-state'),
      ]);
      const run = (onEvent: (event: Record<string, unknown>) => void) => {
        const child = spawn(
          process.execPath,
          [
            P2V_BIN,
            ...migrateArgs(agent, source, ['--state', join(base, 'state'), '--max-rounds', '4']),
          ],
          {
            uid: NOBODY,
            gid: NOBODY,
            stdio: ['ignore', 'pipe', 'pipe'],
            env: { ...process.env, HOME: join(base, 'state') },
          },
        );
        const events: Record<string, unknown>[] = [];
        createInterface({ input: child.stdout }).on('line', (line) => {
          const event = JSON.parse(line) as Record<string, unknown>;
          events.push(event);
          onEvent(event);
          if (event.type === 'phase' && event.phase === 'rounds') child.emit('rounds');
        });
        const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
        return { child, events, closed };
      };
      try {
        // The copy, then the source is killed as the rounds begin.
        const first = run(() => undefined);
        first.child.once('rounds', () => first.child.kill('SIGKILL'));
        await first.closed;
        assert.equal(
          await readFile(join(base, 'target/etc/app/main.conf'), 'utf8'),
          'the service’s configuration\n',
        );
        // Meanwhile the folder's permissions change: the ordinary user can no longer look in.
        await chmod(join(source, 'etc/app'), 0o700);
        const again = run(() => undefined);
        const code = await again.closed;
        const warnings = again.events
          .filter((e) => e.type === 'warning')
          .map((e) => String(e.message));
        assert.ok(
          warnings.some((w) => w.includes('etc/app/main.conf') && w.includes('EACCES')),
          `the error is named: ${warnings.join('; ')}`,
        );
        assert.ok(
          warnings.some((w) => /paths still cannot be read on the source/.test(w)),
          'the cutover was held back, and it said why',
        );
        assert.equal(
          await readFile(join(base, 'target/etc/app/main.conf'), 'utf8'),
          'the service’s configuration\n',
          'the target kept its copy',
        );
        assert.equal(code, 1, 'a file that could not be read back is not handed over');
        assert.ok(
          !again.events.some((e) => e.type === 'cutover' && e.step === 'started'),
          'no handover',
        );
      } finally {
        await agent.stop();
      }
    },
  );
});
