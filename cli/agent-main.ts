import { Command, CommanderError } from 'commander';
import { P2VError } from '../shared/errors.ts';
import { VERSION } from '../engine/version.ts';
import { configureAgent } from './commands/agent.ts';

// The one-file agent (`npm run build:agent`): only the target side, for a conversion host or
// the VM. No top-level await: Node's single executable applications run CommonJS.
const program = configureAgent(
  new Command('p2v-agent')
    .description(
      'P2V Wizard target agent: receives the copy and the rounds into --root, only after pairing with the source.',
    )
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride(),
);

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
  const text =
    error instanceof P2VError ? error.message : ((error as Error)?.stack ?? String(error));
  process.stderr.write(`p2v-agent: ${text}\n`);
  process.exit(error instanceof P2VError && error.code === 'BAD_ARGUMENT' ? 2 : 1);
});
