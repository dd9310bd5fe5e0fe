import type { Command } from 'commander';
import { P2VError } from '../../shared/errors.ts';
import type { UpdateCondition } from '../../shared/driver-plan.ts';
import { checkMigration } from '../../engine/preflight/check-migration.ts';
import { builtInProfiles } from '../../engine/profiles/load-profile.ts';
import { describeCheck } from '../check-summary.ts';
import { cliTranslator } from '../cli-language.ts';
import { profileName } from '../../shared/profile-name.ts';
import { parseBytes, parseHostPort } from '../parse-options.ts';

interface CheckFlags {
  profile: string;
  condition: string;
  target?: string;
  token?: string;
  fingerprint?: string;
  agentInVm?: boolean;
  size?: string;
  sharedNetwork?: boolean;
  driverTree?: string;
  driverTarget?: string;
  sendDrivers?: boolean;
  json?: boolean;
}

const CONDITIONS: UpdateCondition[] = ['missing', 'any', 'major'];

export function registerCheckCommand(program: Command): void {
  program
    .command('profiles')
    .description('List the built-in VM profiles.')
    .option('--json', 'print the profiles as JSON')
    .action(async (options: { json?: boolean }) => {
      const profiles = await builtInProfiles();
      const t = cliTranslator();
      process.stdout.write(
        options.json
          ? `${JSON.stringify(profiles, null, 2)}\n`
          : profiles
              .map((p) => `${p.id.padEnd(14)} ${profileName(t, p)} (${p.diskFormat})\n`)
              .join(''),
      );
    });

  program
    .command('check')
    .description(
      'Compare this machine with a VM profile: OS, drivers, the plan, pre-flight checks, and the driver files that differ. Exits 1 when something blocks the migration.',
    )
    .requiredOption(
      '--profile <id|file>',
      'a built-in profile (see `p2v profiles`) or a profile JSON file',
    )
    .option(
      '--condition <when>',
      'update drivers when: missing | any (version differs) | major',
      'any',
    )
    .option(
      '--target <host:port>',
      'an agent to ask for free space (and its OS, with --agent-in-vm)',
    )
    .option('--token <token>', 'the agent’s pairing token')
    .option('--fingerprint <sha256>', 'the agent’s certificate fingerprint')
    .option(
      '--agent-in-vm',
      'the agent runs inside the target VM: take its OS and drivers as the profile’s',
    )
    .option('--size <bytes>', 'bytes to be moved (default: what the mounted volumes use)')
    .option('--shared-network', 'source and VM will be on one network (identity clash warnings)')
    .option('--driver-tree <dir>', 'a driver tree on this machine to compare with the VM’s')
    .option(
      '--driver-target <path>',
      'where that tree lives under the agent’s root (default: the profile’s staging folder)',
    )
    .option('--send-drivers', 'send the difference files to the agent (otherwise only list them)')
    .option('--json', 'print the result as JSON')
    .action(async (flags: CheckFlags) => {
      if (!CONDITIONS.includes(flags.condition as UpdateCondition))
        throw new P2VError('BAD_ARGUMENT', `--condition must be one of ${CONDITIONS.join(', ')}`);
      if (flags.target && (!flags.token || !flags.fingerprint))
        throw new P2VError('BAD_ARGUMENT', '--target needs --token and --fingerprint');
      if (flags.driverTree && !flags.target)
        throw new P2VError(
          'BAD_ARGUMENT',
          '--driver-tree needs --target (the agent holding the VM’s tree)',
        );
      const target = flags.target
        ? {
            ...parseHostPort(flags.target),
            token: flags.token as string,
            fingerprint: flags.fingerprint as string,
          }
        : undefined;
      const result = await checkMigration({
        profile: flags.profile,
        condition: flags.condition as UpdateCondition,
        ...(target ? { target } : {}),
        agentInVm: Boolean(flags.agentInVm),
        ...(flags.size ? { selectedBytes: parseBytes(flags.size) } : {}),
        sharedNetwork: Boolean(flags.sharedNetwork),
        ...(flags.driverTree
          ? {
              driverTree: {
                source: flags.driverTree,
                ...(flags.driverTarget ? { target: flags.driverTarget } : {}),
                send: Boolean(flags.sendDrivers),
              },
            }
          : {}),
      });
      process.stdout.write(
        flags.json
          ? `${JSON.stringify(result, null, 2)}\n`
          : describeCheck(cliTranslator(), result.plan, result.preflight, result.driverFiles),
      );
      if (result.blocked) process.exitCode = 1;
    });
}
