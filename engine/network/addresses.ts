import { randomBytes } from 'node:crypto';
/** "255.255.255.0" as a prefix length (24); null if it is not a contiguous netmask. */
export function prefixFromNetmask(netmask: string): number | null {
  const parts = netmask.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    return null;
  const bits = parts.map((p) => p.toString(2).padStart(8, '0')).join('');
  return /^1*0*$/.test(bits) ? (bits.indexOf('0') === -1 ? 32 : bits.indexOf('0')) : null;
}

/** An address with its prefix: kept as written when it has one, else from a netmask or prefix. */
export function withPrefix(address: string, prefixOrNetmask: string | null): string {
  if (address.includes('/') || prefixOrNetmask === null) return address;
  const prefix = prefixOrNetmask.includes('.')
    ? prefixFromNetmask(prefixOrNetmask)
    : Number(prefixOrNetmask);
  return prefix === null || Number.isNaN(prefix) ? address : `${address}/${prefix}`;
}

/** A MAC address in the one form compared everywhere: lower case, colons. */
export function normalMac(mac: string): string | null {
  const hex = mac.trim().toLowerCase().replace(/[-:.]/g, '');
  return /^[0-9a-f]{12}$/.test(hex) ? (hex.match(/../g) as string[]).join(':') : null;
}

/**
 * A new MAC address for a VM's card, in the range its hypervisor takes for a static address:
 * VMware's 00:50:56:00-3f, else the KVM/QEMU prefix 52:54:00 (Hyper-V takes any).
 */
export function newVmMac(hypervisor: 'vmware' | 'other'): string {
  const bytes = randomBytes(3);
  if (hypervisor === 'vmware') bytes[0] = (bytes[0] as number) & 0x3f;
  const prefix = hypervisor === 'vmware' ? [0x00, 0x50, 0x56] : [0x52, 0x54, 0x00];
  return [...prefix, ...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}
