import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { P2VError } from '../../shared/errors.ts';
import { pathExists } from '../paths/path-exists.ts';
import { cpioNewc, type CpioEntry } from './cpio-newc.ts';

const run = promisify(execFile);

/** Where Debian's busybox-static puts its one static binary. */
const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'];

/**
 * Modules the helper loads itself, before it can reach the guest's own modprobe: the virtio
 * disk and the ext4 filesystem the guest's tree is carried in. Everything else (LVM's
 * device-mapper, xfs, btrfs) the guest's modprobe loads from inside its tree.
 */
const BOOTSTRAP_MODULES = ['virtio_pci', 'virtio_blk', 'ext4'];
/** ext4 asks the crypto API for crc32c when it mounts; where that is a module, it is loaded first. */
const BOOTSTRAP_IF_MODULE = ['crc32c_generic'];

/** The ELF program header type of an interpreter: a dynamically linked program has one. */
const PT_INTERP = 3;

/** Whether an x86-64 ELF binary runs without a dynamic loader (an initramfs has no libc). */
export function isStaticElf(binary: Buffer): boolean {
  if (binary.readUInt32BE(0) !== 0x7f454c46 || binary[4] !== 2) return false;
  const phoff = Number(binary.readBigUInt64LE(0x20));
  const phentsize = binary.readUInt16LE(0x36);
  const phnum = binary.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++)
    if (binary.readUInt32LE(phoff + i * phentsize) === PT_INTERP) return false;
  return true;
}

async function staticBusybox(): Promise<Buffer> {
  for (const path of BUSYBOX) {
    if (!(await pathExists(path))) continue;
    const binary = await readFile(path);
    if (isStaticElf(binary)) return binary;
  }
  throw new P2VError(
    'IO_ERROR',
    `no static busybox in ${BUSYBOX.join(' or ')} (Debian package busybox-static): the helper that makes XFS, btrfs and LVM inside the guest's own kernel needs one`,
  );
}

const moduleName = (path: string): string =>
  basename(path)
    .replace(/\.ko(\.(xz|zst|gz))?$/, '')
    .replace(/-/g, '_');

/**
 * The modules to load, dependencies first, from the guest's modules.dep; those built into its
 * kernel (modules.builtin) need no loading.
 */
export function bootstrapOrder(
  modulesDep: string,
  builtin: string,
  wanted: string[],
  ifModule: string[] = [],
): string[] {
  const deps = new Map<string, string[]>();
  const pathOf = new Map<string, string>();
  for (const line of modulesDep.split('\n')) {
    const [module, rest = ''] = line.split(':');
    if (!module) continue;
    pathOf.set(moduleName(module), module);
    deps.set(moduleName(module), rest.trim().split(/\s+/).filter(Boolean).map(moduleName));
  }
  const builtIn = new Set(builtin.split('\n').filter(Boolean).map(moduleName));
  const order: string[] = [];
  const visit = (name: string): void => {
    const path = pathOf.get(name);
    if (builtIn.has(name) || !path || order.includes(path)) return;
    for (const dep of deps.get(name) ?? []) visit(dep);
    order.push(path);
  };
  for (const name of wanted) {
    const key = name.replace(/-/g, '_');
    if (!builtIn.has(key) && !pathOf.has(key))
      throw new P2VError(
        'IO_ERROR',
        `the guest's kernel has no ${name} module and does not build it in: it cannot run under virtio`,
      );
    visit(key);
  }
  for (const name of ifModule) visit(name.replace(/-/g, '_'));
  return order;
}

/** A module's bytes as the kernel's init_module takes them: decompressed on the host. */
async function moduleBytes(path: string): Promise<Buffer> {
  if (path.endsWith('.ko')) return readFile(path);
  if (path.endsWith('.ko.gz')) return gunzipSync(await readFile(path));
  const [tool, pkg] = path.endsWith('.ko.xz') ? ['xz', 'xz-utils'] : ['zstd', 'zstd'];
  try {
    const { stdout } = await run(tool, ['-dc', path], {
      encoding: 'buffer',
      maxBuffer: 256 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    throw new P2VError(
      'IO_ERROR',
      `${path}: ${tool} could not decompress it (Debian package ${pkg}): ${(error as Error).message}`,
    );
  }
}

/** Where a release's modules live in a tree: /lib/modules or, merged, /usr/lib/modules. */
async function modulesDir(tree: string, release: string): Promise<string> {
  for (const dir of ['lib/modules', 'usr/lib/modules']) {
    const full = join(tree, dir, release);
    if (await pathExists(join(full, 'modules.dep'))) return full;
  }
  throw new P2VError('IO_ERROR', `no modules.dep for ${release} in the received tree`);
}

/**
 * The helper's initramfs: a static busybox, the guest's own modules for its virtio disk and
 * ext4, `init` and the build script. Built for the guest's kernel, so no host kernel is involved.
 */
export async function helperInitramfs(
  tree: string,
  release: string,
  init: string,
  script: string,
): Promise<Buffer> {
  const dir = await modulesDir(tree, release);
  const order = bootstrapOrder(
    await readFile(join(dir, 'modules.dep'), 'utf8'),
    await readFile(join(dir, 'modules.builtin'), 'utf8').catch(() => ''),
    BOOTSTRAP_MODULES,
    BOOTSTRAP_IF_MODULE,
  );
  const modules: CpioEntry[] = [];
  for (const [i, path] of order.entries())
    modules.push({
      kind: 'file',
      path: `modules/${String(i).padStart(2, '0')}-${moduleName(path)}.ko`,
      mode: 0o644,
      data: await moduleBytes(join(dir, path)),
    });
  return cpioNewc([
    ...['bin', 'dev', 'proc', 'sys', 'modules', 't'].map((path): CpioEntry => ({
      kind: 'dir',
      path,
      mode: 0o755,
    })),
    { kind: 'file', path: 'bin/busybox', mode: 0o755, data: await staticBusybox() },
    { kind: 'symlink', path: 'bin/sh', target: 'busybox' },
    ...modules,
    { kind: 'file', path: 'init', mode: 0o755, data: Buffer.from(init) },
    { kind: 'file', path: 'build.sh', mode: 0o755, data: Buffer.from(script) },
  ]);
}
