import { readFile } from 'node:fs/promises';
import hyperv from '../../assets/profiles/hyperv.json' with { type: 'json' };
import kvmVirtio from '../../assets/profiles/kvm-virtio.json' with { type: 'json' };
import vmwareEsxi from '../../assets/profiles/vmware-esxi.json' with { type: 'json' };
import { join } from 'node:path';
import { P2VError } from '../../shared/errors.ts';
import { VmProfile } from '../../shared/vm-profile.ts';
import { projectRoot } from '../project-root.ts';

/** Where the built-in profiles' files live, for the schema writer and the tests. */
export function profilesDir(): string {
  return join(projectRoot(), 'assets', 'profiles');
}

/**
 * The built-in profiles, bundled into the program (the one-file agent has no assets folder
 * beside it). Keyed by file name; a test checks this list against the folder.
 */
export const BUILT_IN_PROFILE_FILES: Record<string, unknown> = {
  'hyperv.json': hyperv,
  'kvm-virtio.json': kvmVirtio,
  'vmware-esxi.json': vmwareEsxi,
};

/** Checks a parsed JSON value against the profile schema; says which field is wrong. */
export function validateProfile(data: unknown, origin: string): VmProfile {
  const parsed = VmProfile.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new P2VError(
      'PROFILE_INVALID',
      `${origin}: ${issue?.path.join('.') || '(top)'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

async function readProfileFile(path: string): Promise<VmProfile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new P2VError('PROFILE_INVALID', `${path}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new P2VError('PROFILE_INVALID', `${path}: not JSON (${(error as Error).message})`);
  }
  return validateProfile(data, path);
}

/** Every built-in profile, sorted by id. */
export async function builtInProfiles(): Promise<VmProfile[]> {
  return Object.entries(BUILT_IN_PROFILE_FILES)
    .map(([name, data]) => validateProfile(data, `built-in ${name}`))
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** A built-in profile by id, or a profile file by path. */
export async function loadProfile(idOrPath: string): Promise<VmProfile> {
  if (/^[a-z0-9][a-z0-9-]*$/.test(idOrPath)) {
    const found = (await builtInProfiles()).find((p) => p.id === idOrPath);
    if (found) return found;
    const ids = (await builtInProfiles()).map((p) => p.id).join(', ');
    throw new P2VError('PROFILE_INVALID', `no built-in profile "${idOrPath}" (built in: ${ids})`);
  }
  return readProfileFile(idOrPath);
}

/** Every driver name the built-in profiles mention, for the inspection to read versions of. */
export async function driversOfInterest(): Promise<string[]> {
  const names = new Set<string>();
  for (const profile of await builtInProfiles())
    for (const driver of [...profile.drivers.linux, ...profile.drivers.windows])
      for (const name of [driver.name, ...driver.aliases]) names.add(name);
  return [...names];
}
