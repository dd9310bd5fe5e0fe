import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ADDRESS_NOT_HELD_MARKER,
  agentInjection,
  type VmCardAddress,
} from '../../engine/vm/agent-injection.ts';
import { shellQuote } from '../../engine/shell-command.ts';
import { migrateTo, startTestAgent } from '../helpers/migrate-in-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const asRoot = process.getuid?.() === 0;
const VM_MAC = '52:54:00:0c:00:01';
const AGENT_MAC = '52:54:00:0c:00:99';
const ADDRESS = '192.0.2.10/24';
const NAMESPACE = `p2vho${process.pid}`;

/** The handover script the image build puts into a bridged VM whose card must hold `card`. */
function handoverScript(card: VmCardAddress): string {
  const entry = agentInjection({
    binary: '/bin/true',
    key: '',
    cert: '',
    token: '',
    handoverCommand: 'echo "the program started"',
    defaultTarget: 'multi-user.target',
    agentCardMac: AGENT_MAC,
    vmCard: card,
  }).find((e) => e.kind === 'file' && e.path.endsWith('/handover.sh'));
  assert.ok(entry?.kind === 'file');
  return entry.content;
}

/**
 * Runs the handover script as the VM would, in a network namespace holding the VM's card (no
 * address yet) and a mount namespace with its own /etc/systemd, so nothing of this host is
 * touched. `systemctl start default.target` starts what a card's configuration does at boot
 * (ifupdown's hotplug job): it gives the card its address a moment after systemctl returned,
 * or never. Resolves when the script exits, with what it printed and the card's addresses then.
 */
async function runHandover(
  dir: string,
  card: VmCardAddress,
  addressComes: boolean,
): Promise<{ code: number | null; output: string; addressesAtExit: string }> {
  const bin = join(dir, 'bin');
  await mkdir(bin, { recursive: true });
  const configure = addressComes
    ? `(sleep 0.3; ip addr add ${ADDRESS} dev ens192) >/dev/null 2>&1 &`
    : ':';
  await writeFile(
    join(bin, 'systemctl'),
    `#!/bin/sh\nif [ "$1 $2" = "start default.target" ]; then\n  ${configure}\nfi\n`,
  );
  await writeFile(join(bin, 'udevadm'), '#!/bin/sh\n');
  for (const tool of ['systemctl', 'udevadm']) await chmod(join(bin, tool), 0o755);
  const script = join(dir, 'handover.sh');
  await writeFile(script, handoverScript(card), { mode: 0o700 });
  const sandbox = [
    'mount -t tmpfs tmpfs /etc/systemd',
    'mkdir -p /etc/systemd/system',
    '[ ! -d /etc/udev/rules.d ] || mount -t tmpfs tmpfs /etc/udev/rules.d',
    `PATH=${shellQuote(bin)}:$PATH exec sh ${shellQuote(script)}`,
  ].join(' && ');
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      NAMESPACE,
      'unshare',
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      sandbox,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += String(chunk)));
  child.stderr.on('data', (chunk: Buffer) => (output += String(chunk)));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  // Read the moment the script ended: what the VM's card held when the handover answered.
  const addressesAtExit = execFileSync(
    'ip',
    ['-n', NAMESPACE, '-4', '-o', 'addr', 'show', 'dev', 'ens192'],
    { encoding: 'utf8' },
  );
  return { code, output, addressesAtExit };
}

describe(
  'the handover in a VM on the source’s network',
  { skip: !asRoot && 'needs root (network namespaces)' },
  () => {
    before(() => {
      execFileSync('ip', ['netns', 'add', NAMESPACE]);
      const inside = (...args: string[]): void => {
        execFileSync('ip', ['-n', NAMESPACE, ...args]);
      };
      inside('link', 'add', 'ens192', 'address', VM_MAC, 'type', 'veth', 'peer', 'name', 'lan0');
      inside('link', 'set', 'lan0', 'up');
      inside('link', 'set', 'ens192', 'up');
    });
    after(() => {
      if (existsSync(`/run/netns/${NAMESPACE}`)) execFileSync('ip', ['netns', 'del', NAMESPACE]);
    });

    it('ends only once the VM’s card holds the source’s address, and says so', async () => {
      const dir = await tempDir();
      const { code, output, addressesAtExit } = await runHandover(
        dir,
        { mac: VM_MAC, addresses: [ADDRESS], waitSeconds: 60 },
        true,
      );
      assert.equal(code, 0, output);
      assert.ok(
        addressesAtExit.includes(` inet ${ADDRESS} `),
        `the card held ${ADDRESS} when the handover ended: ${addressesAtExit.trim() || '(none)'}\n${output}`,
      );
      assert.match(output, /^p2v-agent: ens192 holds 192\.0\.2\.10\/24 after \d+\.\d s$/m);
      assert.ok(
        output.indexOf('holds') < output.indexOf('the program started'),
        `the technician's handover command runs once the address is held: ${output}`,
      );
    });

    it('says, with the marker, a card that never gets its address, and still starts the program', async () => {
      const dir = await tempDir();
      execFileSync('ip', ['-n', NAMESPACE, 'addr', 'flush', 'dev', 'ens192']);
      const { code, output } = await runHandover(
        dir,
        { mac: VM_MAC, addresses: [ADDRESS], waitSeconds: 1 },
        false,
      );
      assert.equal(code, 0, output);
      assert.ok(
        output.includes(`${ADDRESS_NOT_HELD_MARKER}: ens192 lacks ${ADDRESS} after 1 s`),
        output,
      );
      assert.match(output, /the program started/);
    });
  },
);

describe('a handover whose VM did not get the source’s address', () => {
  it('is a warning in the report, with the VM’s own words', async () => {
    const base = await tempDir();
    const source = join(base, 'source');
    await mkdir(source);
    await writeFile(join(source, 'file'), 'x');
    const line = `${ADDRESS_NOT_HELD_MARKER}: ens192 lacks ${ADDRESS} after 60 s; the machine's network configuration did not bring it up`;
    const agent = await startTestAgent(
      join(base, 'target'),
      join(base, 'agent-state'),
      `echo ${shellQuote(line)}`,
    );
    try {
      const { report } = await migrateTo(agent, source, join(base, 'state'));
      const warning = report.warnings.find((w) => w.said?.key === 'warnings.addressNotHeld');
      assert.ok(warning, report.warnings.map((w) => w.message).join('; ') || '(no warnings)');
      assert.ok(warning.message.includes(line), warning.message);
      assert.ok(report.cutover.timeline.some((s) => s.step === 'started'));
    } finally {
      await agent.close();
    }
  });
});
