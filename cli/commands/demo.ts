import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent } from '../../engine/agent/agent-server.ts';
import { runMigration } from '../../engine/migration/migrate.ts';
import { formatDuration } from '../../shared/format.ts';
import { writeReport } from '../../engine/report/write-report.ts';
import { createProgressView } from '../progress-view.ts';
import { createSampleMachine } from '../demo/sample-machine.ts';
import { shellQuote } from '../../engine/shell-command.ts';
import { projectRoot } from '../../engine/project-root.ts';

const writerScript = join(projectRoot(), 'cli', 'demo', 'sample-writer.ts');
// An absolute loader URL, because the handover command runs inside the target root.
const tsxLoader = import.meta.resolve('tsx');

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'Migrate a generated sample machine with a live writer to an agent on loopback, end to end.',
    )
    .option(
      '--dir <dir>',
      'where to put the sample machine, the target and the report (default: a new temp dir)',
    )
    .option('--json', 'one JSON event per line on stdout')
    .action(async (options: { dir?: string; json?: boolean }) => {
      const base = options.dir ?? (await mkdtemp(join(tmpdir(), 'p2v-demo-')));
      const machine = join(base, 'machine');
      const targetRoot = join(base, 'target');
      process.stderr.write(`Demo folder: ${base}\nGenerating a sample machine in ${machine} …\n`);
      const { appDir } = await createSampleMachine(machine);
      const node = shellQuote(process.execPath);
      const runWriter = `${node} --import ${shellQuote(tsxLoader)} ${shellQuote(writerScript)}`;
      const agent = await startAgent({
        root: targetRoot,
        stateDir: join(base, 'agent-state'),
        handoverCommand: `${runWriter} ${shellQuote(join(targetRoot, 'var/lib/app'))} --resume`,
      });
      process.stderr.write(
        `Agent on ${agent.host}:${agent.port}, fingerprint ${agent.fingerprint}\n`,
      );
      const writer = spawn(process.execPath, ['--import', 'tsx', writerScript, appDir], {
        stdio: 'inherit',
      });
      const pid = writer.pid as number;
      const view = createProgressView(Boolean(options.json));
      try {
        const report = await runMigration({
          sources: [{ dir: machine, target: '' }],
          excludes: [],
          useDefaultExcludes: false,
          target: {
            host: agent.host,
            port: agent.port,
            token: agent.token,
            fingerprint: agent.fingerprint,
          },
          stateDir: join(base, 'source-state'),
          stopCommand: `kill -TERM ${pid} && while kill -0 ${pid} 2>/dev/null; do sleep 0.05; done`,
          rollbackCommand: null,
          verify: 'cached',
          thresholdBytes: 64 * 1024,
          downtimeTargetMs: 500,
          maxRounds: 8,
          minRounds: 3,
          confirmCutover: () => Promise.resolve(true),
          emit: view.onEvent,
        });
        view.stop();
        const files = await writeReport(report, join(base, 'report'));
        process.stderr.write(
          `Demo migration done: ${report.rounds.length} rounds, downtime ${formatDuration(report.cutover.downtimeMs ?? 0)}.\n`,
        );
        process.stdout.write(`Report: ${files.html}\n`);
      } finally {
        writer.kill('SIGTERM');
        await agent.close();
      }
    });
}
