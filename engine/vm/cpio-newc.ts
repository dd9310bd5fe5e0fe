/** One member of an initramfs: a folder, a file with its bytes, or a symlink. */
export type CpioEntry =
  | { kind: 'dir'; path: string; mode: number }
  | { kind: 'file'; path: string; mode: number; data: Buffer }
  | { kind: 'symlink'; path: string; target: string };

const TYPE_BITS = { dir: 0o040000, file: 0o100000, symlink: 0o120000 } as const;

function pad4(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}

function member(ino: number, name: string, mode: number, data: Buffer): Buffer[] {
  const nameBytes = Buffer.from(`${name}\0`);
  const fields = [ino, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, nameBytes.length, 0];
  const header = Buffer.from(
    `070701${fields.map((f) => f.toString(16).padStart(8, '0')).join('')}`,
  );
  return [header, nameBytes, pad4(header.length + nameBytes.length), data, pad4(data.length)];
}

/**
 * An uncompressed cpio archive in the "newc" format, the one the Linux kernel unpacks as its
 * initramfs (Documentation/driver-api/early-userspace/buffer-format.rst): owned by root, paths
 * without a leading slash, ended by the TRAILER!!! member.
 */
export function cpioNewc(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  entries.forEach((entry, i) => {
    const name = entry.path.replace(/^\/+/, '');
    const mode = TYPE_BITS[entry.kind] | (entry.kind === 'symlink' ? 0o777 : entry.mode & 0o7777);
    const data =
      entry.kind === 'file'
        ? entry.data
        : entry.kind === 'symlink'
          ? Buffer.from(entry.target)
          : Buffer.alloc(0);
    parts.push(...member(i + 1, name, mode, data));
  });
  parts.push(...member(0, 'TRAILER!!!', 0, Buffer.alloc(0)));
  return Buffer.concat(parts);
}
