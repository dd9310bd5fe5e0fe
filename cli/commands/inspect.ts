import type { Command } from 'commander';
import { inspectMachine } from '../../engine/inspection/inspect-machine.ts';
import { driversOfInterest } from '../../engine/profiles/load-profile.ts';
import { cliTranslator } from '../cli-language.ts';
import { describeMachine } from '../machine-summary.ts';

export function registerInspectCommand(program: Command): void {
  program
    .command('inspect')
    .description('Inspect this machine: OS, boot mode, disks, volumes, network, services, drivers.')
    .option('--json', 'print the whole inspection as JSON')
    .action(async (options: { json?: boolean }) => {
      const machine = await inspectMachine(await driversOfInterest());
      process.stdout.write(
        options.json
          ? `${JSON.stringify(machine, null, 2)}\n`
          : describeMachine(cliTranslator(), machine),
      );
    });
}
