import { P2VError } from '../../shared/errors.ts';

/** One line of `/proc/modules`: a loaded kernel module. */
export interface LoadedModule {
  name: string;
  sizeBytes: number;
  usedBy: string[];
  state: string;
}

/**
 * Parses `/proc/modules`: `name size refcount users state address`, where users is `-` or a
 * comma-separated list ending in a comma, and the address is zero without privileges.
 */
export function parseProcModules(text: string): LoadedModule[] {
  const modules: LoadedModule[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const fields = line.trim().split(/\s+/);
    const [name, size, , users, state] = fields;
    if (fields.length < 5 || !name || !/^\d+$/.test(size ?? '') || users === undefined)
      throw new P2VError('PARSE_FAILED', `/proc/modules line ${index + 1}: ${line}`);
    modules.push({
      name,
      sizeBytes: Number(size),
      usedBy: users === '-' ? [] : users.split(',').filter(Boolean),
      state: state ?? 'Live',
    });
  }
  return modules;
}
