import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { defaultStateRoot } from '../../engine/migration/state-key.ts';
import { ensureBundle } from '../../scripts/bundles.js';
import { startBrowserBridge } from '../../engine/bridge/browser-bridge.ts';
import { WizardService } from '../../engine/session/wizard-service.ts';
import { parseHostPort } from '../parse-options.ts';
import { P2VError } from '../../shared/errors.ts';
import { ENDING_SIGNALS } from '../signals.ts';

/** Opens a path or URL with the desktop's default handler; false where there is none. */
export function openWithDesktop(target: string): Promise<boolean> {
  const [command, args] =
    process.platform === 'win32'
      ? ['cmd', ['/c', 'start', '', target]]
      : process.platform === 'darwin'
        ? ['open', [target]]
        : ['xdg-open', [target]];
  return new Promise((resolve) => {
    const child = spawn(command as string, args as string[], { stdio: 'ignore', detached: true });
    child.once('error', () => resolve(false));
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
  });
}

export function registerUiCommand(program: Command): void {
  program
    .command('ui')
    .description(
      'Run the wizard in a browser: serves it on 127.0.0.1 with a one-time token in the URL (over SSH: ssh -L PORT:127.0.0.1:PORT server).',
    )
    .option('--listen <host:port>', 'where to serve (only 127.0.0.1 or ::1)', '127.0.0.1:0')
    .option(
      '--data <dir>',
      'where migration state and reports are kept (default: the same folders as p2v migrate, so either resumes the other)',
    )
    .option('--open', 'open the address in the desktop browser')
    .option('--json', 'print the address as one JSON line')
    .action(async (options: { listen: string; data?: string; open?: boolean; json?: boolean }) => {
      const { host, port } = parseHostPort(options.listen);
      // The wizard can stop programs and copy the whole machine: never served beyond loopback.
      if (host !== '127.0.0.1' && host !== '::1' && host !== 'localhost')
        throw new P2VError('BAD_ARGUMENT', `--listen must be on 127.0.0.1 or ::1, not ${host}`);
      const rendererDir = dirname(await ensureBundle('renderer'));
      const service = new WizardService({
        dataDir: options.data ?? defaultStateRoot(),
        openFolder: async (path) => {
          if (!(await openWithDesktop(path))) throw new Error(`no file manager to open ${path}`);
        },
      });
      const bridge = await startBrowserBridge({
        api: service,
        rendererDir,
        host,
        port,
        downloads: (name) => service.reportFile(name),
      });
      if (options.json)
        process.stdout.write(
          `${JSON.stringify({ event: 'listening', url: bridge.url, port: bridge.port })}\n`,
        );
      else process.stdout.write(`P2V Wizard is at ${bridge.url}\nPress Ctrl+C to stop.\n`);
      if (options.open && !(await openWithDesktop(bridge.url)))
        process.stderr.write('No desktop browser to open: open the address above yourself.\n');
      // A migration running in the wizard is stopped first: a cutover under way is rolled back
      // (or its handover waited for) before the server ends, whichever signal asked.
      let stopping = false;
      const shutdown = (signal: NodeJS.Signals): void => {
        if (stopping) {
          process.stderr.write(`${signal} again: still stopping the migration; wait for it.\n`);
          return;
        }
        stopping = true;
        void service
          .close()
          .then(() => bridge.close())
          .finally(() => process.exit(0));
      };
      for (const signal of ENDING_SIGNALS) process.on(signal, shutdown);
    });
}
