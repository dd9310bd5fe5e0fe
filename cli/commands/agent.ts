import type { Command } from 'commander';
import { peakRssBytes } from '../../engine/peak-rss.ts';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { startAgent } from '../../engine/agent/agent-server.ts';
import { parseCount, parseHostPort } from '../parse-options.ts';

/** The default agent state dir: keys and token survive restarts there. */
export function defaultAgentState(): string {
  return process.getuid?.() === 0
    ? '/var/lib/p2v-wizard/agent'
    : join(homedir(), '.local/state/p2v-wizard/agent');
}

export function registerAgentCommand(program: Command): void {
  configureAgent(
    program
      .command('agent')
      .description(
        'Run the target agent: receives the copy and the rounds, inside --root only, after pairing.',
      ),
  );
}

/** The agent's options and action, shared by `p2v agent` and the one-file `p2v-agent`. */
export function configureAgent(command: Command): Command {
  return command
    .requiredOption('--root <dir>', 'folder the migrated machine is written into')
    .option('--listen <host:port>', 'address to listen on (port 0 picks a free one)', '127.0.0.1:0')
    .option('--state <dir>', 'where the key, certificate and token are kept', defaultAgentState())
    .option('--token <token>', 'pairing token to require (default: one made and kept in --state)')
    .option(
      '--on-handover <cmd>',
      'shell command that starts the program on the target at handover',
    )
    .option(
      '--vm-dir <dir>',
      'where the VM the source asks for is built and its console logged (default: beside --root)',
    )
    .option(
      '--io-timeout <seconds>',
      'end a session whose source says nothing this long (a half-received file is cleaned up)',
      '60',
    )
    .option(
      '--accept-new-migration',
      'forget a cutover this agent recorded for --root (it handed over, or was stopped) and take a new migration',
    )
    .option('--exit-after-handover', 'stop once the handover has run (the agent inside a VM)')
    .option(
      '--no-show-token',
      'do not print the pairing token (an agent whose console is logged: the one inside a VM)',
    )
    .option('--json', 'print one JSON line with the address, fingerprint and token, then JSON logs')
    .action(
      async (options: {
        root: string;
        listen: string;
        state: string;
        token?: string;
        onHandover?: string;
        vmDir?: string;
        exitAfterHandover?: boolean;
        acceptNewMigration?: boolean;
        ioTimeout: string;
        showToken: boolean;
        json?: boolean;
      }) => {
        const { host, port } = parseHostPort(options.listen);
        // Set once the agent runs; the handover hook may call it.
        let shutdown = (): void => undefined;
        const json = Boolean(options.json);
        const agent = await startAgent({
          root: options.root,
          stateDir: options.state,
          host,
          port,
          ...(options.token ? { token: options.token } : {}),
          handoverCommand: options.onHandover ?? null,
          ...(options.vmDir ? { vmDir: options.vmDir } : {}),
          silenceLimitMs: parseCount(options.ioTimeout) * 1000,
          acceptNewMigration: Boolean(options.acceptNewMigration),
          onHandedOver: options.exitAfterHandover ? () => shutdown() : undefined,
          log: (event, detail) => {
            const at = new Date().toISOString();
            if (json) process.stdout.write(`${JSON.stringify({ event, at, ...detail })}\n`);
            else
              process.stderr.write(`${at} ${event}${detail ? ` ${JSON.stringify(detail)}` : ''}\n`);
          },
        });
        const ready = {
          event: 'listening',
          host: agent.host,
          port: agent.port,
          fingerprint: agent.fingerprint,
          ...(options.showToken ? { token: agent.token } : {}),
          root: agent.root,
          removedTempFiles: agent.removedTempFiles,
          inPlaceRecovered: agent.inPlaceRecovered,
          cutover: agent.cutover,
          forgotten: agent.forgotten,
        };
        if (json) process.stdout.write(`${JSON.stringify(ready)}\n`);
        else {
          process.stdout.write(
            [
              `P2V agent listening on ${agent.host}:${agent.port}, writing into ${agent.root}`,
              `certificate fingerprint (confirm this on the source): ${agent.fingerprint}`,
              options.showToken
                ? `pairing token: ${agent.token}`
                : `pairing token: not shown (${options.token ? 'the one given with --token' : `kept in ${join(options.state, 'pairing-token')}`})`,
              agent.removedTempFiles > 0
                ? `removed ${agent.removedTempFiles} temp files an interrupted run left`
                : '',
              agent.forgotten
                ? `forgot the earlier cutover onto this root (migration ${agent.forgotten.migration}, ${agent.forgotten.state} at ${agent.forgotten.at}): a new migration may write`
                : '',
              agent.cutover
                ? `this root's migration ${agent.cutover.migration} is ${agent.cutover.state} (since ${agent.cutover.at}): no writes are taken; a new migration needs --accept-new-migration or another --root`
                : '',
            ]
              .filter(Boolean)
              .join('\n') + '\n',
          );
        }
        shutdown = (): void => {
          void agent.close().then(() => {
            const exit = { event: 'exit', peakRssBytes: peakRssBytes() };
            // stdout may be a pipe, where writes are asynchronous: exit once this one is out.
            const line = json ? JSON.stringify(exit) : 'P2V agent stopped';
            process.stdout.write(`${line}\n`, () => process.exit(0));
          });
        };
        process.once('SIGINT', shutdown);
        process.once('SIGTERM', shutdown);
      },
    );
}
