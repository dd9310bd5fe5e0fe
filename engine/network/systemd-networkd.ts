import type { ConfiguredInterface } from '../../shared/network.ts';
import { normalMac } from './addresses.ts';
import { parseKeyFile, valueOf, valuesOf } from './key-file.ts';

/**
 * A systemd-networkd `.network` file (`/etc/systemd/network/`): `[Match] Name=` and/or
 * `MACAddress=`, `[Network] Address=`, `Gateway=`, `DNS=`, `DHCP=`; `[Address]` sections too.
 */
export function parseNetworkd(text: string, file: string): ConfiguredInterface[] {
  const sections = parseKeyFile(text);
  const names = valuesOf(sections, 'Match', 'Name').flatMap((v) => v.split(/\s+/));
  const macs = valuesOf(sections, 'Match', 'MACAddress').flatMap((v) => v.split(/\s+/));
  if (names.length === 0 && macs.length === 0) return [];
  const addresses = [
    ...valuesOf(sections, 'Network', 'Address'),
    ...valuesOf(sections, 'Address', 'Address'),
  ];
  const dhcp = valueOf(sections, 'Network', 'DHCP');
  const mac = macs[0] ? normalMac(macs[0]) : null;
  return [
    {
      format: 'systemd-networkd',
      file,
      name: names.length === 1 ? (names[0] as string) : null,
      mac,
      method:
        addresses.length > 0
          ? 'static'
          : dhcp && /^(yes|true|ipv4)$/i.test(dhcp)
            ? 'dhcp'
            : 'manual',
      addresses,
      gateway:
        valuesOf(sections, 'Network', 'Gateway')[0] ??
        valuesOf(sections, 'Route', 'Gateway')[0] ??
        null,
      dns: valuesOf(sections, 'Network', 'DNS').flatMap((v) => v.split(/\s+/)),
    },
  ];
}
