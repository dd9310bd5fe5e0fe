import { Command, CommanderError } from 'commander';
import { P2VError } from '../shared/errors.ts';
import { VERSION } from '../engine/version.ts';
import { registerAgentCommand } from './commands/agent.ts';
import { registerCheckCommand } from './commands/check.ts';
import { registerInspectCommand } from './commands/inspect.ts';
import { registerUiCommand } from './commands/ui.ts';
import { registerVmCommand } from './commands/vm.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerMigrateCommand } from './commands/migrate.ts';
import { registerReportCommand } from './commands/report.ts';

const program = new Command('p2v')
  .description(
    'P2V Wizard: move a running machine onto a virtual machine with seconds of downtime.',
  )
  .version(VERSION)
  .showHelpAfterError()
  .exitOverride();
registerUiCommand(program);
registerInspectCommand(program);
registerCheckCommand(program);
registerAgentCommand(program);
registerMigrateCommand(program);
registerReportCommand(program);
registerDemoCommand(program);
registerVmCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
  if (error instanceof P2VError) {
    process.stderr.write(`p2v: ${error.message}\n`);
    process.exit(error.code === 'BAD_ARGUMENT' ? 2 : 1);
  }
  process.stderr.write(`p2v: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
}
