import { P2VError } from '../../shared/errors.ts';
import type { ConfiguredInterface, NetworkIdentityPlan, VmNic } from '../../shared/network.ts';
import { normalMac } from './addresses.ts';
import { readNetworkConfig, type NetworkConfig } from './read-network-config.ts';

export interface IdentityOptions {
  /** The source card the VM's card takes over; by default the one with a static address. */
  sourceNic?: string;
  /** The source's cards as inspected, to know the MAC of a card configured by name only. */
  sourceNics?: { name: string; mac: string }[];
}

/**
 * The plan for a received tree: its network configuration as its files say, taken over by the
 * VM's card. Made before the image is built, so a card named wrongly stops the build at once and
 * the agent injected into the VM knows which addresses its card must hold at the handover.
 */
export async function planTreeNetwork(
  tree: string,
  vm: VmNic,
  options: IdentityOptions = {},
): Promise<NetworkIdentityPlan> {
  return planNetworkIdentity(await readNetworkConfig(tree), vm, options);
}

/** Where the name pin goes: read by systemd-udevd before its default naming (99-default.link). */
export const LINK_DIR = '/etc/systemd/network';

const isPattern = (name: string): boolean => /[*?[\]]/.test(name);

/**
 * How the VM's one network card takes over the source's configuration, so the VM comes up at
 * the source's address. The card gets another name (ens192 becomes enp1s0) and another MAC:
 * configuration keyed by name is kept by pinning the old name to the VM's MAC in a systemd
 * `.link` file; configuration keyed by MAC (netplan `match`, NetworkManager `mac-address`,
 * `HWADDR`, networkd `MACAddress`, udev rules) is rewritten to the VM's MAC. Addresses, routes
 * and name servers are not touched. Every change is listed for the report.
 */
export function planNetworkIdentity(
  config: NetworkConfig,
  vm: VmNic,
  options: IdentityOptions = {},
): NetworkIdentityPlan {
  const keepSource = vm.mac === 'source';
  const given = keepSource ? null : normalMac(vm.mac);
  if (!keepSource && !given) throw new P2VError('BAD_ARGUMENT', `not a MAC address: ${vm.mac}`);
  const configs = config.interfaces.filter((i) => i.format !== 'udev-rules');
  const chosen = chooseInterface(configs, options);
  if (!chosen) {
    if (keepSource)
      throw new P2VError('BAD_ARGUMENT', "no configured card: the source's MAC is not known");
    const plan: NetworkIdentityPlan = {
      takenOver: null,
      vmMac: given as string,
      changes: [],
      files: [],
      notes: [],
    };
    plan.notes.push(
      configs.length === 0
        ? 'No network configuration for a card was found: the VM configures its card as the distribution does by default.'
        : 'No configured card has an address or DHCP: nothing to take over.',
    );
    return plan;
  }
  const name = chosen.name !== null && !isPattern(chosen.name) ? chosen.name : null;
  const sourceMac =
    chosen.mac ??
    config.interfaces.find((i) => name !== null && i.name === name && i.mac)?.mac ??
    normalMac(options.sourceNics?.find((n) => n.name === name)?.mac ?? '') ??
    null;
  if (keepSource && !sourceMac)
    throw new P2VError(
      'BAD_ARGUMENT',
      `the MAC of ${describe(chosen)} is in no configuration file: give it as the VM's MAC`,
    );
  const vmMac = given ?? (sourceMac as string);
  const plan: NetworkIdentityPlan = { takenOver: chosen, vmMac, changes: [], files: [], notes: [] };
  const related = config.interfaces.filter(
    (i) => (name !== null && i.name === name) || (sourceMac !== null && i.mac === sourceMac),
  );

  for (const file of new Set(related.filter((i) => i.mac && i.mac !== vmMac).map((i) => i.file))) {
    const before = config.contents.get(file);
    const mac = related.find((i) => i.file === file)?.mac as string;
    if (before === undefined) continue;
    const after = replaceMac(before, mac, vmMac);
    if (after === before) continue;
    plan.files.push({ path: file, content: after, mode: config.modes.get(file) ?? 0o644 });
    plan.changes.push({
      kind: 'rewrite-mac',
      file,
      summary: `${file}: matches the VM's card (${vmMac}) instead of the source's (${mac})`,
    });
  }
  if (name !== null) {
    const file = `${LINK_DIR}/10-p2v-${name}.link`;
    plan.files.push({ path: file, content: linkFile(name, vmMac), mode: 0o644 });
    plan.changes.push({
      kind: 'pin-name',
      file,
      summary: `${file}: the VM's card (${vmMac}) is named ${name}, as the source's card was, so the configuration that names it applies`,
    });
  } else if (!chosen.mac) {
    plan.notes.push(
      `${chosen.file} applies to any card whose name matches ${chosen.name ?? '(any)'}: nothing to change.`,
    );
  }

  const label = describe(chosen);
  if (chosen.method === 'dhcp' && sourceMac !== vmMac)
    plan.notes.push(
      `${label} takes its address from DHCP: the VM's card has another MAC (${vmMac})${sourceMac ? ` than the source's (${sourceMac})` : ''}, so a reservation for the source's MAC does not apply to it; give the VM the source's MAC to keep it.`,
    );
  for (const other of configs)
    if (!related.includes(other) && (other.addresses.length > 0 || other.method === 'dhcp'))
      plan.notes.push(
        `${describe(other)} in ${other.file} is left as it is: the VM has one card, which takes over ${label}.`,
      );
  return plan;
}

function chooseInterface(
  configs: ConfiguredInterface[],
  options: IdentityOptions,
): ConfiguredInterface | null {
  if (options.sourceNic !== undefined) {
    const mac = normalMac(options.sourceNics?.find((n) => n.name === options.sourceNic)?.mac ?? '');
    const named = configs.find(
      (i) =>
        (i.name === options.sourceNic || (mac !== null && i.mac === mac)) && i.method !== 'manual',
    );
    if (named) return named;
    const known = configs.map(describe).join(', ') || 'none';
    throw new P2VError(
      'BAD_ARGUMENT',
      `no configuration with an address for the card ${options.sourceNic}; configured: ${known}`,
    );
  }
  const usable = configs.filter((i) => i.name !== 'lo');
  return (
    usable.find((i) => i.method === 'static' && i.gateway !== null) ??
    usable.find((i) => i.method === 'static') ??
    usable.find((i) => i.method === 'dhcp') ??
    null
  );
}

function describe(i: ConfiguredInterface): string {
  const who = i.name ?? i.mac ?? 'a card';
  return i.method === 'static' ? `${who} (${i.addresses.join(', ')})` : `${who} (${i.method})`;
}

/** Every spelling of `mac` in `text` (colons or dashes, any case) as `replacement`. */
function replaceMac(text: string, mac: string, replacement: string): string {
  const pattern = new RegExp(mac.split(':').join('[:-]'), 'gi');
  return text.replace(pattern, (found) => {
    const separator = found.includes('-') ? '-' : ':';
    const spelled = replacement.replaceAll(':', separator);
    return found === found.toUpperCase() ? spelled.toUpperCase() : spelled;
  });
}

function linkFile(name: string, mac: string): string {
  return [
    '# Written by P2V Wizard when this machine became a VM: the VM network card keeps the name',
    `# the physical machine's card had (${name}), so the configuration that names it still applies.`,
    '[Match]',
    `MACAddress=${mac}`,
    '',
    '[Link]',
    `Name=${name}`,
    '',
  ].join('\n');
}
