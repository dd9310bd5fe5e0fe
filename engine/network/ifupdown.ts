import type { ConfiguredInterface } from '../../shared/network.ts';
import { withPrefix } from './addresses.ts';

/**
 * Debian's ifupdown (`/etc/network/interfaces` and the files it sources): each
 * `iface NAME inet static|dhcp|manual` stanza with its address, netmask, gateway and
 * `dns-nameservers`. Loopback is left out; interfaces are matched by name only.
 */
export function parseIfupdown(text: string, file: string): ConfiguredInterface[] {
  const found: ConfiguredInterface[] = [];
  let current: (ConfiguredInterface & { netmask: string | null }) | null = null;
  const finish = (): void => {
    if (!current) return;
    const { netmask, ...done } = current;
    done.addresses = done.addresses.map((a) => withPrefix(a, netmask));
    found.push(done);
    current = null;
  };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    const [keyword = '', ...rest] = line.split(/\s+/);
    if (
      ['auto', 'allow-hotplug', 'source', 'source-directory', 'mapping'].includes(keyword) ||
      /^allow-/.test(keyword)
    ) {
      finish();
      continue;
    }
    if (keyword === 'iface') {
      finish();
      const [name, family, method] = rest;
      if (!name || family !== 'inet' || method === 'loopback') continue;
      current = {
        format: 'ifupdown',
        file,
        name,
        mac: null,
        method: method === 'static' ? 'static' : method === 'dhcp' ? 'dhcp' : 'manual',
        addresses: [],
        gateway: null,
        dns: [],
        netmask: null,
      };
      continue;
    }
    if (!current) continue;
    const stanza: ConfiguredInterface & { netmask: string | null } = current;
    if (keyword === 'address' && rest[0]) stanza.addresses.push(rest[0]);
    else if (keyword === 'netmask' && rest[0]) stanza.netmask = rest[0];
    else if (keyword === 'gateway' && rest[0]) stanza.gateway = rest[0];
    else if (keyword === 'dns-nameservers') stanza.dns.push(...rest);
  }
  finish();
  return found;
}
