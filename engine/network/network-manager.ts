import type { ConfiguredInterface } from '../../shared/network.ts';
import { normalMac } from './addresses.ts';
import { parseKeyFile, valueOf, valuesOf } from './key-file.ts';

/**
 * A NetworkManager keyfile (RHEL 9, Fedora, SLES 16; `/etc/NetworkManager/system-connections/
 * *.nmconnection`) of an Ethernet connection: `interface-name` and/or `[ethernet] mac-address`,
 * `[ipv4] method`, `address1=ADDR/PREFIX,GATEWAY` (or `addresses=`), `gateway=`, `dns=a;b;`.
 */
export function parseNetworkManager(text: string, file: string): ConfiguredInterface[] {
  const sections = parseKeyFile(text);
  const type = valueOf(sections, 'connection', 'type');
  if (type !== 'ethernet' && type !== '802-3-ethernet') return [];
  const ipv4 = sections.filter((s) => s.name === 'ipv4').flatMap((s) => s.entries);
  const addresses: string[] = [];
  let gateway = valueOf(sections, 'ipv4', 'gateway');
  for (const [key, value] of ipv4) {
    if (!/^address(es)?\d*$/.test(key)) continue;
    for (const one of value.split(';').filter(Boolean)) {
      const [address, via] = one.split(',');
      if (address) addresses.push(address.trim());
      if (via && !gateway) gateway = via.trim();
    }
  }
  const method = valueOf(sections, 'ipv4', 'method');
  const mac = valueOf(sections, 'ethernet', 'mac-address');
  return [
    {
      format: 'networkmanager',
      file,
      name: valueOf(sections, 'connection', 'interface-name'),
      mac: mac ? normalMac(mac) : null,
      method: method === 'manual' ? 'static' : method === 'auto' ? 'dhcp' : 'manual',
      addresses,
      gateway,
      dns: valuesOf(sections, 'ipv4', 'dns').flatMap((v) => v.split(/[;,]/).filter(Boolean)),
    },
  ];
}
