import type { Command } from 'commander';
import { loadStoredReport } from '../../engine/migration/migration-state.ts';
import { writeReport } from '../../engine/report/write-report.ts';

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('Write the report of a migration (finished or not) from its state dir.')
    .requiredOption('--state <dir>', 'the migration state dir')
    .requiredOption('--out <dir>', 'where report.json and report.html go')
    .action(async (options: { state: string; out: string }) => {
      const files = await writeReport(await loadStoredReport(options.state), options.out);
      process.stdout.write(`${files.html}\n${files.json}\n`);
    });
}
