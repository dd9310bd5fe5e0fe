import type { ConfiguredInterface } from '../../shared/network.ts';
import { normalMac } from './addresses.ts';

/**
 * Older systems pin names to MAC addresses in `/etc/udev/rules.d/70-persistent-net.rules`
 * (`ATTR{address}=="…", NAME="eth0"`): a new card gets the next name (eth1) and the
 * configuration for eth0 no longer applies. Each rule is listed, matched by both.
 */
export function parseUdevNetRules(text: string, file: string): ConfiguredInterface[] {
  return text
    .split(/\r?\n/)
    .filter((line) => !line.trim().startsWith('#'))
    .flatMap((line) => {
      const mac = /ATTRS?\{address\}=="([^"]+)"/.exec(line)?.[1];
      const name = /NAME="([^"]+)"/.exec(line)?.[1];
      if (!mac || !name) return [];
      return [
        {
          format: 'udev-rules' as const,
          file,
          name,
          mac: normalMac(mac),
          method: 'manual' as const,
          addresses: [],
          gateway: null,
          dns: [],
        },
      ];
    });
}
