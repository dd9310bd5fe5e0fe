import { Command, CommanderError } from 'commander';
import { P2VError } from '../shared/errors.ts';
import { VERSION } from '../engine/version.ts';

const program = new Command('p2v')
  .description(
    'P2V Wizard: move a running machine onto a virtual machine with seconds of downtime.',
  )
  .version(VERSION)
  .showHelpAfterError()
  .exitOverride();

/**
 * Each command's module, loaded only when that command runs: `p2v agent` and `p2v migrate`
 * start without the inspection's, the wizard's and the VM build's packages (zod alone took
 * 0.16 s to load). In the order `--help` lists them; help, a version or an unknown name loads
 * them all, so commander can list or suggest.
 */
const COMMANDS: [string[], () => Promise<(program: Command) => void>][] = [
  [['ui'], async () => (await import('./commands/ui.ts')).registerUiCommand],
  [['inspect'], async () => (await import('./commands/inspect.ts')).registerInspectCommand],
  [['profiles', 'check'], async () => (await import('./commands/check.ts')).registerCheckCommand],
  [['agent'], async () => (await import('./commands/agent.ts')).registerAgentCommand],
  [['migrate'], async () => (await import('./commands/migrate.ts')).registerMigrateCommand],
  [['report'], async () => (await import('./commands/report.ts')).registerReportCommand],
  [['demo'], async () => (await import('./commands/demo.ts')).registerDemoCommand],
  [['vm'], async () => (await import('./commands/vm.ts')).registerVmCommand],
];
const named = process.argv[2] ?? '';
const one = COMMANDS.filter(([names]) => names.includes(named));
for (const [, load] of one.length > 0 ? one : COMMANDS) (await load())(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
  if (error instanceof P2VError) {
    // The reason in the CLI's language; the detail (a path, a value) as the engine said it.
    const { cliTranslator } = await import('./cli-language.ts');
    const reason = cliTranslator()(`errors.${error.code}`);
    process.stderr.write(`p2v: ${reason}${error.detail ? ` (${error.detail})` : ''}\n`);
    process.exit(error.code === 'BAD_ARGUMENT' ? 2 : 1);
  }
  process.stderr.write(`p2v: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
}
