import { parse } from 'yaml';
import type { ConfiguredInterface } from '../../shared/network.ts';
import { normalMac } from './addresses.ts';

interface NetplanEthernet {
  match?: { macaddress?: string; name?: string };
  'set-name'?: string;
  addresses?: (string | Record<string, unknown>)[];
  dhcp4?: boolean | string;
  gateway4?: string;
  routes?: { to?: string; via?: string }[];
  nameservers?: { addresses?: string[] };
}

/**
 * Netplan (Ubuntu; `/etc/netplan/*.yaml`): each entry under `network.ethernets`, matched by
 * `match.macaddress` and/or `match.name`, renamed by `set-name`, else named by its key.
 */
export function parseNetplan(text: string, file: string): ConfiguredInterface[] {
  const doc = parse(text) as { network?: { ethernets?: Record<string, NetplanEthernet> } } | null;
  const ethernets = doc?.network?.ethernets ?? {};
  return Object.entries(ethernets).map(([id, eth]) => {
    const mac = eth.match?.macaddress ? normalMac(String(eth.match.macaddress)) : null;
    const name = eth['set-name'] ?? eth.match?.name ?? (eth.match ? null : id);
    const addresses = (eth.addresses ?? []).map((a) =>
      typeof a === 'string' ? a : String(Object.keys(a)[0]),
    );
    const defaultRoute = (eth.routes ?? []).find((r) => r.to === 'default' || r.to === '0.0.0.0/0');
    const dhcp = eth.dhcp4 === true || eth.dhcp4 === 'true' || eth.dhcp4 === 'yes';
    return {
      format: 'netplan' as const,
      file,
      name: name ?? null,
      mac,
      method: addresses.length > 0 ? 'static' : dhcp ? 'dhcp' : 'manual',
      addresses,
      gateway: eth.gateway4 ?? defaultRoute?.via ?? null,
      dns: (eth.nameservers?.addresses ?? []).map(String),
    };
  });
}
