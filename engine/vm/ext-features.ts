/**
 * ext4 features the guest's kernel can mount read-write, from its release (`5.15.0-91`): the
 * builder's mke2fs (1.47) would otherwise turn on what older kernels refuse.
 * - orphan_file: Linux 5.15; metadata_csum_seed: 4.4; metadata_csum: 3.18; 64bit: 3.6.
 */
export function ext4FeatureArgs(kernel: string | null): string[] {
  const [major = 99, minor = 0] = (kernel ?? '').split(/[.-]/).map((p) => Number(p));
  const at = (a: number, b: number): boolean => major > a || (major === a && minor >= b);
  const off: string[] = [];
  if (!at(5, 15)) off.push('^orphan_file');
  if (!at(4, 4)) off.push('^metadata_csum_seed');
  if (!at(3, 18)) off.push('^metadata_csum');
  if (!at(3, 6)) off.push('^64bit');
  return off.length > 0 ? ['-O', off.join(',')] : [];
}
