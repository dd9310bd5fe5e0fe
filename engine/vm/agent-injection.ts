import type { NetworkIdentityPlan } from '../../shared/network.ts';
import { shellQuote } from '../shell-command.ts';

/** A file or symlink the image builder adds to the VM's filesystems, owned by root. */
export type InjectedEntry =
  | { kind: 'file'; path: string; mode: number; content: string }
  | { kind: 'copy'; path: string; mode: number; from: string }
  | { kind: 'symlink'; path: string; target: string }
  /** Made only where the tree has nothing at that path. */
  | { kind: 'dir'; path: string; mode: number };

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
/**
 * What the VM boots into while the rounds arrive: the basic system and the agent, none of the
 * migrated machine's own services, so nothing in the VM writes the files the rounds are filling.
 */
export const ROUNDS_TARGET = 'p2v-rounds.target';
const DEFAULT_TARGET = '/etc/systemd/system/default.target';
const JOURNALD_DROP_IN = '/etc/systemd/journald.conf.d/p2v-rounds.conf';
/** While the rounds arrive, udev takes every card but the agent's from its driver (a bridged VM). */
const HOLD_RULE = '/etc/udev/rules.d/00-p2v-rounds-hold.rules';
/** The cards held, a line each: the driver's folder in sysfs and the device, to bind again. */
const HELD = '/run/p2v-agent/held-cards';

/** What the agent inside the VM needs: itself, its identity, and what it does at handover. */
export interface AgentInjection {
  /** The one-file agent (dist/p2v-agent, or the running agent itself). */
  binary: string;
  key: string;
  cert: string;
  token: string;
  /** Run inside the VM at handover, after the machine's own services start. */
  handoverCommand: string | null;
  /**
   * Where the source's default.target link pointed (null: it had none). The VM's link points at
   * the rounds target until the handover puts this back, so a reboot before the handover comes
   * back to the rounds and one after it boots the machine as itself, however it was started.
   */
  defaultTarget: string | null;
  /**
   * With a second card for the agent (the VM's own card is on the source's network), the agent's
   * card's MAC: the agent takes that card, and the others are held without a driver until the
   * handover, so the VM does not take the source's address while the source still has it.
   * Null: one card, the agent's for the rounds and the machine's after.
   */
  agentCardMac: string | null;
  /**
   * With a card for the agent: the machine's own card and what it must hold before the handover
   * ends (the static IPv4 addresses its configuration gives it, or any with DHCP), so the end of
   * the downtime means the VM answers at the source's address. Null: nothing to wait for.
   */
  vmCard: VmCardAddress | null;
}

/** The VM's own card by its MAC, and the IPv4 addresses it must hold ('dhcp': any). */
export interface VmCardAddress {
  mac: string;
  addresses: string[] | 'dhcp';
  /** How long the handover waits for them. */
  waitSeconds: number;
}

/**
 * How long the handover waits for the VM's card to hold its addresses: DHCP and a card's link
 * negotiation take seconds, a bond or a bridge with STP tens of them.
 */
export const ADDRESS_WAIT_SECONDS = 60;
/** The start of the line the handover prints when the card did not get its addresses in time. */
export const ADDRESS_NOT_HELD_MARKER = 'p2v-agent: address not held';

/**
 * What the VM's card must hold at the handover by the plan that gives it the source's
 * configuration: its static IPv4 addresses (IPv6 ones announce themselves when the kernel's
 * duplicate check ends), any address with DHCP, nothing for a card configured without one.
 */
export function vmCardAddress(plan: NetworkIdentityPlan): VmCardAddress | null {
  const card = plan.takenOver;
  if (!card) return null;
  const waitSeconds = ADDRESS_WAIT_SECONDS;
  if (card.method === 'dhcp') return { mac: plan.vmMac, addresses: 'dhcp', waitSeconds };
  const addresses = card.method === 'static' ? card.addresses.filter((a) => !a.includes(':')) : [];
  return addresses.length > 0 ? { mac: plan.vmMac, addresses, waitSeconds } : null;
}

/** The printed line the console shows once the agent inside the VM is up. */
export const AGENT_READY_MARKER = 'P2V agent listening on';
/** The line it prints when it stops (after the handover, inside the VM). */
export const AGENT_STOPPED_MARKER = 'P2V agent stopped';

/**
 * The files that make a migrated Linux VM boot into the rounds: the one-file agent and its
 * systemd unit (its output on the console), its pairing material, the rounds target, a volatile
 * journal while the rounds arrive, a script that brings up the forwarded network in /run, and
 * the handover script that starts the machine's own services and retires the agent.
 */
export function agentInjection(injection: AgentInjection): InjectedEntry[] {
  const handover = [
    '#!/bin/sh',
    '# Written by P2V Wizard. Run by the agent at handover: the machine becomes itself.',
    'set -e',
    `rm -f ${JOURNALD_DROP_IN}`,
    ...(injection.agentCardMac
      ? [
          // The machine's own cards come back before its services start, so they configure them.
          `rm -f ${HOLD_RULE}`,
          'udevadm control --reload-rules',
          // A card that comes up with an address announces it (a gratuitous ARP): the LAN's
          // routers and hosts still hold the source's MAC for the source's address, some for hours.
          'echo 1 > /proc/sys/net/ipv4/conf/default/arp_notify || true',
          `if [ -f ${HELD} ]; then`,
          '  while read -r driver device; do echo "$device" > "$driver/bind"; done < ' + HELD,
          `  rm -f ${HELD}`,
          '  udevadm settle --timeout=30',
          'fi',
        ]
      : []),
    injection.defaultTarget
      ? `ln -sfn ${shellQuote(injection.defaultTarget)} ${DEFAULT_TARGET}`
      : `rm -f ${DEFAULT_TARGET}`,
    'systemctl daemon-reload',
    'systemctl restart systemd-journald',
    // start, not isolate: isolating would stop the agent (and this script) before it answers.
    'systemctl start default.target',
    ...(injection.agentCardMac && injection.vmCard ? awaitAddresses(injection.vmCard) : []),
    ...(injection.agentCardMac ? announceAddresses(injection.agentCardMac.toLowerCase()) : []),
    ...(injection.handoverCommand ? [injection.handoverCommand] : []),
    '',
  ].join('\n');
  const networkUp = [
    '#!/bin/sh',
    '# Written by P2V Wizard. Gives the first network interface the address qemu forwards the',
    "# agent's port to. Only /run is written: the machine's own network settings stay as they were.",
    '# udev renames interfaces (eth0 to enp0s2) while this runs: let it finish, and match the',
    '# interface by its MAC address, which a rename keeps.',
    'command -v udevadm >/dev/null 2>&1 && udevadm settle --timeout=30',
    'for i in $(seq 1 60); do',
    injection.agentCardMac
      ? `  dev=$(grep -lx ${injection.agentCardMac.toLowerCase()} /sys/class/net/*/address | head -n 1 | cut -d/ -f5)`
      : '  dev=$(ls /sys/class/net | grep -v "^lo$" | head -n 1)',
    '  [ -n "$dev" ] && break',
    '  sleep 0.5',
    'done',
    '[ -n "$dev" ] || { echo "p2v-agent: no network interface" >&2; exit 1; }',
    'if command -v ip >/dev/null 2>&1; then',
    '  ip link set "$dev" up',
    `  ip addr replace ${GUEST_ADDRESS} dev "$dev"`,
    'else',
    '  mkdir -p /run/systemd/network',
    `  printf '[Match]\\nMACAddress=%s\\n[Network]\\nAddress=${GUEST_ADDRESS}\\n' "$(cat /sys/class/net/$dev/address)" > /run/systemd/network/10-p2v-agent.network`,
    '  systemctl restart systemd-networkd',
    'fi',
    `echo "p2v-agent: ${GUEST_ADDRESS} on $dev ($(cat /sys/class/net/$dev/address))"`,
    '',
  ].join('\n');
  const unit = [
    '[Unit]',
    'Description=P2V Wizard agent: receives the last rounds of the migration',
    'After=local-fs.target',
    '',
    '[Service]',
    `ExecStartPre=${DIR}/network-up.sh`,
    `ExecStart=${DIR}/p2v-agent --root / --listen 0.0.0.0:${GUEST_AGENT_PORT} --state ${STATE} --on-handover ${DIR}/handover.sh --exit-after-handover --no-show-token`,
    'Restart=on-failure',
    'StandardOutput=journal+console',
    'StandardError=journal+console',
    '',
  ].join('\n');
  const target = [
    '[Unit]',
    'Description=P2V Wizard: receiving the last rounds of the migration',
    'Requires=basic.target',
    'After=basic.target',
    `Wants=${UNIT}`,
    'AllowIsolate=yes',
    '',
  ].join('\n');
  return [
    ...(injection.agentCardMac ? holdCards(injection.agentCardMac.toLowerCase()) : []),
    { kind: 'copy', path: `${DIR}/p2v-agent`, mode: 0o755, from: injection.binary },
    { kind: 'file', path: `${DIR}/network-up.sh`, mode: 0o755, content: networkUp },
    { kind: 'file', path: `${DIR}/handover.sh`, mode: 0o700, content: handover },
    { kind: 'file', path: `${STATE}/agent-key.pem`, mode: 0o600, content: injection.key },
    { kind: 'file', path: `${STATE}/agent-cert.pem`, mode: 0o644, content: injection.cert },
    { kind: 'file', path: `${STATE}/pairing-token`, mode: 0o600, content: `${injection.token}\n` },
    { kind: 'file', path: `/etc/systemd/system/${UNIT}`, mode: 0o644, content: unit },
    { kind: 'file', path: `/etc/systemd/system/${ROUNDS_TARGET}`, mode: 0o644, content: target },
    {
      kind: 'file',
      path: JOURNALD_DROP_IN,
      mode: 0o644,
      content:
        '# Written by P2V Wizard: no journal on disk while the rounds arrive.\n[Journal]\nStorage=volatile\n',
    },
    { kind: 'symlink', path: DEFAULT_TARGET, target: ROUNDS_TARGET },
  ];
}

/**
 * Lines of the handover script that wait, a tenth of a second at a time, until the VM's card
 * holds its addresses. Its configuration brings it up on its own time once the services are
 * started: ifupdown's hotplug job, networkd, NetworkManager, a DHCP server, none of which
 * `systemctl start default.target` waits for. Then it says which it holds and after how long;
 * a card still without them when the wait runs out is said with the marker, for the report.
 */
function awaitAddresses(card: VmCardAddress): string[] {
  const mac = card.mac.toLowerCase();
  const want = card.addresses === 'dhcp' ? '' : card.addresses.join(' ');
  const tenths = Math.round(card.waitSeconds * 10);
  return [
    `dev=$(grep -lx ${mac} /sys/class/net/*/address 2>/dev/null | head -n 1 | cut -d/ -f5)`,
    `want=${shellQuote(want)}`,
    'held() {',
    '  have=$(ip -4 -o addr show dev "$dev" 2>/dev/null) || return 1',
    '  [ -n "$want" ] || { echo "$have" | grep -q " inet "; return; }',
    '  for a in $want; do echo "$have" | grep -qF " inet ${a%/*}/" || return 1; done',
    '}',
    'i=0',
    `while [ -n "$dev" ] && ! held && [ $i -lt ${tenths} ]; do sleep 0.1; i=$((i + 1)); done`,
    'if [ -n "$dev" ] && held; then',
    `  echo "p2v-agent: $dev holds $(ip -4 -o addr show dev "$dev" | awk '{print $4}' | tr '\\n' ' ')after $((i / 10)).$((i % 10)) s"`,
    'else',
    `  echo "${ADDRESS_NOT_HELD_MARKER}: \${dev:-no card with MAC ${mac}} lacks \${want:-an IPv4 address} after ${card.waitSeconds} s; the machine's network configuration did not bring it up"`,
    'fi',
  ];
}

/**
 * Lines of the handover script that announce, once the machine's network is up, where each of
 * its IPv4 addresses is now: setting a card's own MAC again makes the kernel send a gratuitous
 * ARP for its addresses (with arp_notify), which covers configurations that add the address
 * after the card is up (systemd-networkd, NetworkManager), as long as they added it by the time
 * the services started; the kernel does not announce an address added later. Best effort: a
 * failure is no reason to fail a handover that has happened.
 */
function announceAddresses(agentMac: string): string[] {
  return [
    'for dir in /sys/class/net/*; do',
    '  mac=$(cat "$dir/address" 2>/dev/null) || continue',
    `  [ -e "$dir/device" ] && [ "$mac" != ${agentMac} ] || continue`,
    '  echo 1 > "/proc/sys/net/ipv4/conf/${dir##*/}/arp_notify" 2>/dev/null || continue',
    '  ip link set dev "${dir##*/}" address "$mac" 2>/dev/null || true',
    'done',
  ];
}

/**
 * A udev rule and its script that take every network card but the agent's from its driver as
 * it appears, before anything in the VM (ifupdown's hotplug, networkd, NetworkManager) gives it
 * the source's address: the source keeps that address until after the handover.
 */
function holdCards(agentMac: string): InjectedEntry[] {
  const script = [
    '#!/bin/sh',
    '# Written by P2V Wizard. Run by udev while the rounds arrive, for a card that is not the',
    "# agent's: the card leaves its driver until the handover binds it again.",
    'for dir in /sys/class/net/*; do',
    '  [ "$(cat "$dir/address" 2>/dev/null)" = "$1" ] && [ -e "$dir/device/driver" ] || continue',
    '  driver=$(readlink -f "$dir/device/driver")',
    '  device=$(basename "$(readlink -f "$dir/device")")',
    `  mkdir -p ${HELD.slice(0, HELD.lastIndexOf('/'))}`,
    `  echo "$driver $device" >> ${HELD}`,
    '  echo "<5>p2v-agent: $(basename "$dir") ($1) held until the handover" > /dev/kmsg',
    '  echo "$device" > "$driver/unbind"',
    'done',
    '',
  ].join('\n');
  const rule = `# Written by P2V Wizard: removed at the handover.\nSUBSYSTEM=="net", ACTION=="add", ATTR{address}=="?*", ATTR{address}!="${agentMac}", ATTR{address}!="00:00:00:00:00:00", RUN+="${DIR}/hold-card.sh $attr{address}"\n`;
  return [
    { kind: 'file', path: `${DIR}/hold-card.sh`, mode: 0o755, content: script },
    { kind: 'file', path: HOLD_RULE, mode: 0o644, content: rule },
  ];
}
