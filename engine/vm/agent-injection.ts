import { P2VError } from '../../shared/errors.ts';
import { shellQuote } from '../shell-command.ts';

/** A file or symlink the image builder adds to the VM's filesystems, owned by root. */
export type InjectedEntry =
  | { kind: 'file'; path: string; mode: number; content: string }
  | { kind: 'copy'; path: string; mode: number; from: string }
  | { kind: 'symlink'; path: string; target: string };

/** The port the agent inside the VM listens on; qemu forwards a port of the target host to it. */
export const GUEST_AGENT_PORT = 7443;
/**
 * The guest's address on qemu's user network. The agent sets it for the rounds only, in /run,
 * so nothing of the migrated machine's own network configuration is changed.
 */
export const GUEST_ADDRESS = '10.0.2.15/24';

const DIR = '/usr/local/lib/p2v-agent';
const STATE = '/var/lib/p2v-agent';
const UNIT = 'p2v-agent.service';
const HOLD_DROP_IN = 'p2v-hold.conf';

/** What the agent inside the VM needs: itself, its identity, and what it starts at handover. */
export interface AgentInjection {
  /** The one-file agent (dist/p2v-agent, or the running agent itself). */
  binary: string;
  key: string;
  cert: string;
  token: string;
  holdUnits: string[];
  handoverCommand: string | null;
}

const UNIT_NAME = /^[A-Za-z0-9@_.:-]+\.(service|socket|timer|path)$/;

/** The printed line the console shows once the agent inside the VM is up. */
export const AGENT_READY_MARKER = 'P2V agent listening on';

/**
 * The files that make a migrated Linux VM boot into the rounds: the one-file agent and its
 * systemd unit (started at boot, its output on the console), its pairing material, a script that
 * brings up the forwarded network in /run, drop-ins that keep the program's units from starting
 * before the handover, and the handover script that releases them and retires the agent.
 */
export function agentInjection(injection: AgentInjection): InjectedEntry[] {
  for (const unit of injection.holdUnits)
    if (!UNIT_NAME.test(unit))
      throw new P2VError('BAD_ARGUMENT', `not a systemd unit name: ${JSON.stringify(unit)}`);
  const units = injection.holdUnits.map(shellQuote).join(' ');
  const handover = [
    '#!/bin/sh',
    '# Written by P2V Wizard. Run by the agent at handover: starts the migrated program here.',
    'set -e',
    `rm -f /etc/systemd/system/multi-user.target.wants/${UNIT}`,
    ...injection.holdUnits.map(
      (u) =>
        `rm -f ${shellQuote(`/etc/systemd/system/${u}.d/${HOLD_DROP_IN}`)}; rmdir ${shellQuote(`/etc/systemd/system/${u}.d`)} 2>/dev/null || true`,
    ),
    'systemctl daemon-reload',
    ...(units ? [`systemctl start ${units}`] : []),
    ...(injection.handoverCommand ? [injection.handoverCommand] : []),
    '',
  ].join('\n');
  const networkUp = [
    '#!/bin/sh',
    '# Written by P2V Wizard. Gives the first network interface the address qemu forwards the',
    "# agent's port to. Only /run is written: the machine's own network settings stay as they were.",
    'for i in $(seq 1 60); do',
    '  dev=$(ls /sys/class/net | grep -v "^lo$" | head -n 1)',
    '  [ -n "$dev" ] && break',
    '  sleep 0.5',
    'done',
    '[ -n "$dev" ] || { echo "p2v-agent: no network interface" >&2; exit 1; }',
    'if command -v ip >/dev/null 2>&1; then',
    '  ip link set "$dev" up',
    `  ip addr replace ${GUEST_ADDRESS} dev "$dev"`,
    'else',
    '  mkdir -p /run/systemd/network',
    `  printf '[Match]\\nName=%s\\n[Network]\\nAddress=${GUEST_ADDRESS}\\n' "$dev" > /run/systemd/network/10-p2v-agent.network`,
    '  systemctl restart systemd-networkd',
    'fi',
    '',
  ].join('\n');
  const unit = [
    '[Unit]',
    'Description=P2V Wizard agent: receives the last rounds of the migration',
    'After=local-fs.target',
    '',
    '[Service]',
    `ExecStartPre=${DIR}/network-up.sh`,
    `ExecStart=${DIR}/p2v-agent --root / --listen 0.0.0.0:${GUEST_AGENT_PORT} --state ${STATE} --on-handover ${DIR}/handover.sh --exit-after-handover`,
    'Restart=on-failure',
    'StandardOutput=journal+console',
    'StandardError=journal+console',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
  const hold = [
    '[Unit]',
    '# Written by P2V Wizard: the program starts at the handover, not at boot, while the',
    '# rounds are still arriving. The handover script removes this file.',
    `ConditionPathExists=/run/p2v-never`,
    '',
  ].join('\n');
  return [
    { kind: 'copy', path: `${DIR}/p2v-agent`, mode: 0o755, from: injection.binary },
    { kind: 'file', path: `${DIR}/network-up.sh`, mode: 0o755, content: networkUp },
    { kind: 'file', path: `${DIR}/handover.sh`, mode: 0o700, content: handover },
    { kind: 'file', path: `${STATE}/agent-key.pem`, mode: 0o600, content: injection.key },
    { kind: 'file', path: `${STATE}/agent-cert.pem`, mode: 0o644, content: injection.cert },
    { kind: 'file', path: `${STATE}/pairing-token`, mode: 0o600, content: `${injection.token}\n` },
    { kind: 'file', path: `/etc/systemd/system/${UNIT}`, mode: 0o644, content: unit },
    {
      kind: 'symlink',
      path: `/etc/systemd/system/multi-user.target.wants/${UNIT}`,
      target: `/etc/systemd/system/${UNIT}`,
    },
    ...injection.holdUnits.map((u): InjectedEntry => ({
      kind: 'file',
      path: `/etc/systemd/system/${u}.d/${HOLD_DROP_IN}`,
      mode: 0o644,
      content: hold,
    })),
  ];
}
