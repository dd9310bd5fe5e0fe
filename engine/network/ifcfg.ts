import type { ConfiguredInterface } from '../../shared/network.ts';
import { normalMac, withPrefix } from './addresses.ts';

/** `KEY=value` lines of a shell-variable file, quotes taken off. */
export function parseShellVariables(text: string): Map<string, string> {
  const variables = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(raw);
    if (!match) continue;
    let value = (match[2] as string).trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2)
      value = value.slice(1, -1);
    else value = value.replace(/\s+#.*$/, '');
    variables.set(match[1] as string, value);
  }
  return variables;
}

const methodOf = (
  bootproto: string | undefined,
  hasAddress: boolean,
): ConfiguredInterface['method'] =>
  /^dhcp/i.test(bootproto ?? '') ? 'dhcp' : hasAddress ? 'static' : 'manual';

/**
 * Red Hat's initscripts format (RHEL 7/8, `/etc/sysconfig/network-scripts/ifcfg-NAME`):
 * `DEVICE`, `HWADDR`, `BOOTPROTO`, `IPADDR[n]` with `PREFIX[n]` or `NETMASK[n]`, `GATEWAY[n]`,
 * `DNS1..`. Matched by `HWADDR` when set, and by `DEVICE` (or the file's name).
 */
export function parseIfcfgRedhat(text: string, file: string): ConfiguredInterface[] {
  const v = parseShellVariables(text);
  // NetworkManager reads TYPE without regard to case (TYPE=ETHERNET is seen in the wild).
  if (v.get('TYPE') && v.get('TYPE')?.toLowerCase() !== 'ethernet') return [];
  const name =
    v.get('DEVICE') ??
    file
      .split('/')
      .pop()
      ?.replace(/^ifcfg-/, '') ??
    null;
  if (name === 'lo') return [];
  const addresses: string[] = [];
  const suffixes = ['', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
  for (const suffix of suffixes) {
    const address = v.get(`IPADDR${suffix}`);
    if (address)
      addresses.push(
        withPrefix(address, v.get(`PREFIX${suffix}`) ?? v.get(`NETMASK${suffix}`) ?? null),
      );
  }
  // Files with numbered addresses often number the gateway too (GATEWAY0), as NetworkManager reads it.
  const gateway = suffixes.map((suffix) => v.get(`GATEWAY${suffix}`)).find(Boolean) ?? null;
  const hwaddr = v.get('HWADDR');
  return [
    {
      format: 'ifcfg-redhat',
      file,
      name,
      mac: hwaddr ? normalMac(hwaddr) : null,
      method: methodOf(v.get('BOOTPROTO'), addresses.length > 0),
      addresses,
      gateway,
      dns: [...v].filter(([k]) => /^DNS\d+$/.test(k)).map(([, value]) => value),
    },
  ];
}

/**
 * SUSE's wicked format (SLES 12/15, `/etc/sysconfig/network/ifcfg-NAME`): named by the file,
 * `BOOTPROTO='static'`, `IPADDR='ADDR/PREFIX'` (or with `NETMASK`/`PREFIXLEN`); the default
 * route lives in `/etc/sysconfig/network/routes` (`default GATEWAY - -`) and the name servers in
 * `/etc/sysconfig/network/config` (`NETCONFIG_DNS_STATIC_SERVERS`), passed as `routes`, `config`.
 */
export function parseIfcfgSuse(
  text: string,
  file: string,
  routes = '',
  config = '',
): ConfiguredInterface[] {
  const v = parseShellVariables(text);
  const name =
    file
      .split('/')
      .pop()
      ?.replace(/^ifcfg-/, '') ?? null;
  if (!name || name === 'lo') return [];
  const addresses: string[] = [];
  for (const [key, value] of v) {
    const suffix = /^IPADDR(.*)$/.exec(key)?.[1];
    if (suffix === undefined || !value) continue;
    addresses.push(
      withPrefix(value, v.get(`PREFIXLEN${suffix}`) ?? v.get(`NETMASK${suffix}`) ?? null),
    );
  }
  const gateway =
    routes
      .split(/\r?\n/)
      .map((line) => line.trim().split(/\s+/))
      .find(([to, , , dev]) => to === 'default' && (!dev || dev === '-' || dev === name))?.[1] ??
    null;
  const dns = (parseShellVariables(config).get('NETCONFIG_DNS_STATIC_SERVERS') ?? '')
    .split(/\s+/)
    .filter(Boolean);
  return [
    {
      format: 'ifcfg-suse',
      file,
      name,
      mac: null,
      method: methodOf(v.get('BOOTPROTO'), addresses.length > 0),
      addresses,
      gateway,
      dns,
    },
  ];
}
