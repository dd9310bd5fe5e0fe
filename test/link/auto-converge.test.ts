import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { migrateArgs, P2V_BIN, type AgentProcess } from '../helpers/agent-process.ts';
import { migrateOnLink, startAgentOnLink } from '../helpers/link-migration.ts';
import { makeShapedLink, shapedLinkUnavailable, type ShapedLink } from '../helpers/shaped-link.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import type { MigrationReport } from '../../shared/report.ts';

const unavailable = shapedLinkUnavailable();
const WRITER = fileURLToPath(new URL('../helpers/cpu-paced-writer.mjs', import.meta.url));
/** 8 Mbit/s: about 1 MB/s, half of what the writer dirties at full speed. */
const LINK_MBIT = 8;
const HOT_BYTES = 2 * 1024 * 1024;
/** One 64 KiB block per 31 ms of the writer's CPU: 2 MiB/s when it runs freely. */
const MS_PER_BLOCK = 31;
/** A stop command that ends the writer and waits until it is gone. */
const stopCommand = (pid: number): string =>
  `kill ${pid}; while kill -0 ${pid} 2>/dev/null; do sleep 0.05; done`;

/** The writer's scheduler state (R, S, T when stopped…) and its cpu cgroup, from /proc. */
function processState(pid: number): { state: string; cpuCgroup: string } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const cgroups = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  return {
    state: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '?',
    cpuCgroup:
      cgroups.find((l) => l.split(':')[1]?.split(',').includes('cpu')) ??
      cgroups.find((l) => l.startsWith('0::')) ??
      '',
  };
}

describe(
  `auto-converge: a writer faster than a ${LINK_MBIT} Mbit/s link`,
  { skip: unavailable ? `SKIPPED LOUDLY: ${unavailable}` : false },
  () => {
    let base: string;
    let link: ShapedLink;
    const writers: ChildProcess[] = [];

    before(async () => {
      base = await tempDir();
      link = makeShapedLink(`p2v-ac-${process.pid}`, LINK_MBIT);
    });
    after(() => {
      for (const writer of writers) writer.kill('SIGKILL');
      link?.remove();
    });

    /** A source with a hot file and its writer running. */
    const sourceWithWriter = async (name: string) => {
      const source = join(base, `${name}-source`);
      await mkdir(source, { recursive: true });
      const hot = join(source, 'hot.bin');
      await writeFile(hot, randomBytes(HOT_BYTES));
      const writer = spawn(
        process.execPath,
        [WRITER, hot, String(HOT_BYTES), String(MS_PER_BLOCK)],
        {
          stdio: 'ignore',
        },
      );
      writers.push(writer);
      return { source, writer, pid: writer.pid as number };
    };

    const common = ['--threshold', '512KiB', '--downtime-target', '1', '--max-rounds', '40'];

    /** A whole migration of a source whose writer runs, on an agent of its own; `extra` flags. */
    const migrateWithWriter = async (
      name: string,
      extra: (pid: number) => string[],
      prepare?: (pid: number) => Promise<void>,
    ) => {
      const { source, pid } = await sourceWithWriter(name);
      await prepare?.(pid);
      const agent = await startAgentOnLink(link, join(base, name));
      try {
        const report = await migrateOnLink(link, agent, source, base, name, [
          ...common,
          '--stop-cmd',
          stopCommand(pid),
          ...extra(pid),
        ]);
        return { report, pid };
      } finally {
        await agent.stop();
      }
    };

    /** Dirty KiB per round, with the level the writer was slowed to: "1920 1664@30% …". */
    const roundsLine = (report: MigrationReport): string =>
      `rounds ${report.rounds.map((r) => `${Math.round(r.dirtyBytes / 1024)}${r.throttle ? `@${r.throttle}%` : ''}`).join(' ')} KiB; ${report.convergence?.reason}, downtime ${report.cutover.downtimeMs} ms`;

    it('without it, the rounds never shrink and the cutover would take long', async (t) => {
      const { report } = await migrateWithWriter('plain', () => []);
      t.diagnostic(roundsLine(report));
      assert.ok(
        ['not-shrinking', 'max-rounds'].includes(report.convergence?.reason ?? ''),
        `it gave up: ${report.convergence?.reason}`,
      );
      assert.equal(report.autoConverge, undefined);
    });

    it('a program that cannot be slowed (gone) is said once, and the migration goes on without it', async (t) => {
      // A pid that names no process: pid_max's last value, never handed out here.
      const { report } = await migrateWithWriter('gone', () => ['--auto-converge', '4194303']);
      t.diagnostic(roundsLine(report));
      assert.ok(report.ok, 'the migration completed');
      assert.ok(['not-shrinking', 'max-rounds'].includes(report.convergence?.reason ?? ''));
      assert.equal(
        report.warnings.filter((w) => w.said?.key === 'warnings.throttleFailed').length,
        1,
        'said once',
      );
    });

    it('with it, the writer is slowed in steps until the rounds converge, and let go before the stop', async (t) => {
      const { report, pid } = await migrateWithWriter('converge', (p) => [
        '--auto-converge',
        String(p),
      ]);
      const steps = report.autoConverge?.steps ?? [];
      t.diagnostic(`${report.autoConverge?.method}: ${roundsLine(report)}`);
      assert.ok(report.ok);
      assert.ok(
        ['threshold', 'downtime-target'].includes(report.convergence?.reason ?? ''),
        `converged by the rule: ${report.convergence?.reason}`,
      );
      assert.ok(
        steps.length >= 1 && steps.every((s, i) => i === 0 || s.level > (steps[i - 1]?.level ?? 0)),
      );
      const released = Date.parse(report.autoConverge?.releasedAt ?? '');
      const stopped = Date.parse(
        report.cutover.timeline.find((s) => s.step === 'stop-command')?.at ?? '',
      );
      assert.ok(released <= stopped, 'let go before the stop command ran');
      assert.ok(
        !existsSync(join(base, 'converge', 'state', 'throttle.json')),
        'nothing left recorded',
      );
      assert.ok(
        !existsSync(`/sys/fs/cgroup/cpu/p2v-converge-${pid}`) &&
          !existsSync(`/sys/fs/cgroup/p2v-converge-${pid}`),
        'its cgroup is gone',
      );
    });

    it('on a cgroup that exists (a systemd unit’s): limited in place, its own settings put back', async (t) => {
      const root = existsSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us') ? '/sys/fs/cgroup/cpu' : null;
      if (!root)
        return t.skip('SKIPPED LOUDLY: no cgroup v1 cpu hierarchy to make a unit-like cgroup in');
      // What systemd makes for a service: a cgroup the program runs in, with its own settings.
      const unit = join(root, `p2v-test-unit-${process.pid}`);
      await mkdir(unit);
      await writeFile(join(unit, 'cpu.cfs_period_us'), '50000\n');
      try {
        const { report } = await migrateWithWriter(
          'unit',
          () => ['--auto-converge', `cgroup:${unit}`],
          (pid) => writeFile(join(unit, 'cgroup.procs'), `${pid}\n`),
        );
        t.diagnostic(roundsLine(report));
        assert.ok(report.ok);
        assert.ok(
          ['threshold', 'downtime-target'].includes(report.convergence?.reason ?? ''),
          `converged by the rule: ${report.convergence?.reason}`,
        );
        assert.match(report.autoConverge?.program ?? '', /p2v-test-unit/);
        assert.ok((report.autoConverge?.steps.length ?? 0) >= 1);
        assert.ok(existsSync(unit), 'the cgroup is not removed: it is not ours');
        assert.equal(readFileSync(join(unit, 'cpu.cfs_quota_us'), 'utf8').trim(), '-1');
        assert.equal(readFileSync(join(unit, 'cpu.cfs_period_us'), 'utf8').trim(), '50000');
      } finally {
        for (const p of readFileSync(join(unit, 'cgroup.procs'), 'utf8')
          .split('\n')
          .filter(Boolean))
          await writeFile(join(root, 'cgroup.procs'), `${p}\n`).catch(() => undefined);
        await rmdir(unit).catch(() => undefined);
      }
    });

    /** Runs `p2v migrate ARGS` on the source host until it says `key` (a warning's message key). */
    const migrateUntil = (args: string[], key: string) => {
      const [command, ...rest] = link.on('source', [process.execPath, P2V_BIN, ...args]);
      const migrate = spawn(command as string, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
      migrate.stderr?.resume();
      const exited = new Promise<number | null>((resolve) => migrate.once('exit', resolve));
      const said = new Promise<void>((resolve, reject) => {
        createInterface({ input: migrate.stdout as NodeJS.ReadableStream }).on('line', (line) => {
          const event = JSON.parse(line) as { type?: string; said?: { key?: string } };
          if (event.type === 'warning' && event.said?.key === key) resolve();
        });
        void exited.then(() => reject(new Error(`migrate ended before it said ${key}`)));
      });
      return { migrate, exited, said };
    };

    const ends = [
      { method: 'auto', end: 'SIGINT' },
      { method: 'signals', end: 'SIGINT' },
      { method: 'auto', end: 'SIGKILL' },
    ] as const;
    for (const { method, end } of ends)
      it(`${end === 'SIGKILL' ? 'a crash (SIGKILL), then a re-run' : 'an abort (SIGINT)'} while the writer is slowed (${method}) lets it run at full speed again`, async () => {
        const name = `${end}-${method}`;
        const { source, pid, writer } = await sourceWithWriter(name);
        const agent: AgentProcess = await startAgentOnLink(link, join(base, name));
        const state = join(base, name, 'state');
        try {
          const args = migrateArgs(agent, source, [
            '--state',
            state,
            ...common,
            '--stop-cmd',
            stopCommand(pid),
            '--auto-converge',
            String(pid),
            '--converge-method',
            method,
          ]);
          const first = migrateUntil(args, 'warnings.throttled');
          await first.said;
          const slowed = processState(pid);
          assert.ok(
            method === 'signals' || slowed.cpuCgroup.includes(`p2v-converge-${pid}`),
            `slowed in its own cgroup: ${slowed.cpuCgroup}`,
          );
          first.migrate.kill(end);
          assert.notEqual(await first.exited, 0, 'the migration ended');
          if (end === 'SIGKILL') {
            assert.ok(existsSync(join(state, 'throttle.json')), 'the crash left it slowed');
            assert.ok(processState(pid).cpuCgroup.includes('p2v-converge'));
            // The same command again: the first thing it does is let the writer go.
            const again = migrateUntil(args, 'warnings.throttleUndone');
            await again.said;
            again.migrate.kill('SIGINT');
            await again.exited;
          }
          const after = processState(pid);
          assert.notEqual(after.state, 'T', 'the writer is not left stopped');
          assert.ok(
            !after.cpuCgroup.includes('p2v-converge'),
            `back in its cgroup: ${after.cpuCgroup}`,
          );
          assert.ok(!existsSync(join(state, 'throttle.json')), 'nothing left recorded');
          assert.equal(writer.exitCode, null, 'and still running');
        } finally {
          writer.kill('SIGKILL');
          await agent.stop();
        }
      });
  },
);
