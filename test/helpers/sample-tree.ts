import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmod,
  chown,
  link,
  lutimes,
  mkdir,
  open,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';

const isRoot = process.getuid?.() === 0;

/** A path inside `root` from a raw byte name (for names that are not UTF-8). */
export function rawJoin(root: string, name: Buffer): Buffer {
  return Buffer.concat([Buffer.from(root), Buffer.from('/'), name]);
}

/**
 * Fills `root` with every kind of entry a server's file system has: plain, empty, big and sparse
 * files, nested and empty folders, odd modes and owners, old mtimes, relative, absolute and
 * dangling symlinks, hard links, and names with spaces, newlines, Unicode and invalid UTF-8.
 */
export async function createSampleTree(root: string): Promise<void> {
  await mkdir(join(root, 'etc/app'), { recursive: true });
  await mkdir(join(root, 'empty-dir'));
  await mkdir(join(root, 'a/b/c/d'), { recursive: true });
  await writeFile(join(root, 'etc/app/config.ini'), '[main]\nport = 8080\n');
  await writeFile(join(root, 'empty-file'), '');
  await writeFile(join(root, 'a/b/c/d/deep.txt'), 'deep\n');
  await writeFile(join(root, 'big.bin'), randomBytes(3 * 1024 * 1024 + 123));
  await writeFile(join(root, 'secret'), 'top secret\n', { mode: 0o600 });
  await chmod(join(root, 'secret'), 0o600);
  await writeFile(join(root, 'setuid-tool'), '#!/bin/sh\necho hi\n');
  await chmod(join(root, 'setuid-tool'), 0o4755);
  await mkdir(join(root, 'private'), { mode: 0o700 });
  await chmod(join(root, 'private'), 0o700);
  await writeFile(join(root, 'private/owned'), 'owned by someone else\n');
  if (isRoot) {
    await chown(join(root, 'private/owned'), 1234, 5678);
    await chown(join(root, 'private'), 1234, 5678);
  }
  // Sparse: data at both ends of 64 MiB, nothing between.
  const sparse = await open(join(root, 'sparse.img'), 'w');
  await sparse.write(Buffer.from('start of disk image'), 0, 19, 0);
  await sparse.write(Buffer.from('end'), 0, 3, 64 * 1024 * 1024 - 3);
  await sparse.close();
  await symlink('etc/app/config.ini', join(root, 'relative-link'));
  await symlink('/etc/passwd', join(root, 'absolute-link'));
  await symlink('does/not/exist', join(root, 'dangling-link'));
  await writeFile(join(root, 'hard-1'), 'linked content\n');
  await link(join(root, 'hard-1'), join(root, 'hard-2'));
  await link(join(root, 'hard-1'), join(root, 'a/hard-3'));
  await writeFile(join(root, 'name with spaces.txt'), 'spaces\n');
  await writeFile(join(root, 'ünïcödé-名前.txt'), 'unicode\n');
  await writeFile(join(root, 'new\nline'), 'newline in name\n');
  await writeFile(join(root, '-rf'), 'leading dash\n');
  await writeFile(
    rawJoin(root, Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0x2e, 0x62, 0x69, 0x6e])),
    'latin1 name\n',
  );
  await utimes(
    join(root, 'etc/app/config.ini'),
    new Date('2001-02-03T04:05:06.789Z'),
    new Date('2001-02-03T04:05:06.789Z'),
  );
  await lutimes(
    join(root, 'relative-link'),
    new Date('2002-01-01T00:00:00Z'),
    new Date('2002-01-01T00:00:00Z'),
  );
  execFileSync('mkfifo', [join(root, 'a-fifo')]);
}
