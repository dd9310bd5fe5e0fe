import { P2VError } from '../../shared/errors.ts';
import { runTool } from '../inspection/run-tool.ts';
import { shellQuote } from '../shell-command.ts';

/** Where `virsh` connects unless told otherwise: the host's own QEMU/KVM. */
export const SYSTEM_LIBVIRT = 'qemu:///system';

/**
 * Defines the domain in libvirt and starts it, so libvirt keeps the VM (autostart, console,
 * `virsh shutdown`); answers with the state libvirt reports for it then (`running`). Refuses a name libvirt already has, so an older definition is never the
 * one started. Define and start run in one virsh session: one connection, which libvirt's
 * in-memory test driver needs as much as a real host allows it.
 */
export async function defineAndStart(
  domainFile: string,
  name: string,
  uri: string,
): Promise<string> {
  const virsh = (command: string) =>
    // In English whatever the locale: its messages are matched below.
    runTool('virsh', ['-q', '-c', uri, command], { timeoutMs: 120_000, env: { LC_ALL: 'C' } });
  const existing = await virsh(`dominfo ${shellQuote(name)}`);
  if (existing.missing)
    throw new P2VError('IO_ERROR', 'virsh is not installed (Debian package libvirt-clients)');
  const unreachable = /failed to connect/i.test(existing.stderr);
  if (unreachable)
    throw new P2VError(
      'VM_FAILED',
      `libvirt does not answer at ${uri} (${firstError(existing.stderr)}). Start the VM here with --run instead, or define it where libvirtd runs: virsh define ${shellQuote(domainFile)} && virsh start ${shellQuote(name)}`,
    );
  if (existing.exitCode === 0)
    throw new P2VError(
      'VM_FAILED',
      `libvirt at ${uri} already has a domain named ${name}: choose another --name, or remove it first (virsh undefine ${shellQuote(name)})`,
    );
  // virsh goes on after a failed command and answers with the last one's status, so any error
  // it printed counts.
  const run = await virsh(
    `define ${shellQuote(domainFile)}; start ${shellQuote(name)}; domstate ${shellQuote(name)}`,
  );
  if (run.exitCode !== 0 || run.stderr.trim() !== '')
    throw new P2VError(
      'VM_FAILED',
      `virsh could not define and start ${name} at ${uri}: ${firstError(run.stderr) || `exit ${run.exitCode}`}`,
    );
  return run.stdout.trim();
}

function firstError(stderr: string): string {
  return (
    stderr
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? ''
  );
}
