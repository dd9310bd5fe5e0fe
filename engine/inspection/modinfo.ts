import { P2VError } from '../../shared/errors.ts';

/** What `modinfo` tells of one module. */
export interface ModuleInfo {
  name: string;
  /** The module file, or null for a module built into the kernel. */
  file: string | null;
  version: string | null;
  description: string | null;
  /** Kernel release the module was built for (first word of vermagic). */
  kernel: string | null;
  depends: string[];
}

/**
 * Parses the output of `modinfo NAME...`: one `key: value` block per module, each starting with
 * `filename:` (`(builtin)` for modules built into the kernel); repeated keys (alias, parm) and
 * unknown keys are ignored.
 */
export function parseModinfo(text: string): ModuleInfo[] {
  const blocks: Map<string, string>[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const match = /^([a-z_0-9.]+):\s*(.*)$/i.exec(line);
    if (!match) {
      // A parameter description can run onto indented lines; they belong to the field above.
      if (/^\s/.test(line) && blocks.length > 0) continue;
      throw new P2VError('PARSE_FAILED', `modinfo line ${index + 1}: ${line}`);
    }
    const key = (match[1] as string).toLowerCase();
    const value = (match[2] as string).trim();
    if (key === 'filename') blocks.push(new Map());
    const block = blocks[blocks.length - 1];
    if (!block) throw new P2VError('PARSE_FAILED', `modinfo line ${index + 1} before filename:`);
    if (!block.has(key)) block.set(key, value);
  }
  return blocks.map((block) => {
    const filename = block.get('filename') ?? '';
    const file = filename === '(builtin)' || filename === '' ? null : filename;
    const name = block.get('name') ?? moduleNameFromPath(filename) ?? '';
    if (!name) throw new P2VError('PARSE_FAILED', `modinfo block without a name: ${filename}`);
    return {
      name: normaliseModuleName(name),
      file,
      version: block.get('version') || null,
      description: block.get('description') || null,
      kernel: block.get('vermagic')?.split(/\s+/)[0] || null,
      depends: (block.get('depends') ?? '').split(',').filter(Boolean).map(normaliseModuleName),
    };
  });
}

/** Module names treat `-` and `_` alike; the kernel reports them with `_`. */
export function normaliseModuleName(name: string): string {
  return name.replace(/-/g, '_');
}

/** `.../virtio_blk.ko.xz` → `virtio_blk`; null when the path is not a module file. */
export function moduleNameFromPath(path: string): string | null {
  const match = /([^/]+)\.ko(?:\.(?:xz|zst|gz))?$/.exec(path.trim());
  return match ? normaliseModuleName(match[1] as string) : null;
}
