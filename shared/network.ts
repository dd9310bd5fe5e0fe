/** The network configuration formats a Linux machine keeps its interfaces' settings in. */
export type NetworkFormat =
  | 'ifupdown'
  | 'netplan'
  | 'networkmanager'
  | 'ifcfg-redhat'
  | 'ifcfg-suse'
  | 'systemd-networkd'
  | 'udev-rules';

/**
 * One interface as a configuration file sets it up: matched by name, by MAC address, or both.
 * What the VM's network card must match for the configuration to apply to it.
 */
export interface ConfiguredInterface {
  format: NetworkFormat;
  /** The file, relative to the machine's root ("/etc/network/interfaces"). */
  file: string;
  /** The interface name the configuration applies to (or renames to); null if matched by MAC only. */
  name: string | null;
  /** The MAC address the configuration matches, lower case; null if matched by name only. */
  mac: string | null;
  method: 'static' | 'dhcp' | 'manual';
  /** Addresses with their prefix length ("192.0.2.10/24"). */
  addresses: string[];
  gateway: string | null;
  dns: string[];
}

/** What the VM gets instead of the source's network card. */
export interface VmNic {
  /** The MAC address of the VM's card, or `source` to give it the source card's own. */
  mac: string;
}

/** One change the image build makes so the VM's card takes over the source's configuration. */
export interface NetworkChange {
  kind: 'pin-name' | 'rewrite-mac';
  /** The file written or rewritten, relative to the machine's root. */
  file: string;
  /** One line for the technician and the report. */
  summary: string;
}

/** The plan for the VM's network identity, and the files that carry it out. */
export interface NetworkIdentityPlan {
  /** The source interface the VM's card takes over, or null when none is configured. */
  takenOver: ConfiguredInterface | null;
  /** The MAC address the VM's card must have for the plan to hold. */
  vmMac: string;
  changes: NetworkChange[];
  /** Files to write into the VM's filesystem (new or rewritten), with their contents. */
  files: { path: string; content: string; mode: number }[];
  /** What the build leaves alone and why (other interfaces, DHCP notes). */
  notes: string[];
}
