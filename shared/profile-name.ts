import type { TFunction } from 'i18next';
import { en } from './i18n/en.ts';

/**
 * A VM profile's name in the language `t` speaks: a built-in profile's from the catalog, any
 * other (a technician's own file, or a built-in one renamed) as its file names it.
 */
export function profileName(t: TFunction, profile: { id: string; name: string }): string {
  const names = en.profiles as Record<string, string>;
  if (names[profile.id] === profile.name) return t(`profiles.${profile.id}`);
  // A built-in profile with the versions an agent inside the VM reported (`check --agent-in-vm`).
  const base = profile.id.endsWith(LIVE) ? profile.id.slice(0, -LIVE.length) : null;
  const host = base && names[base] ? liveHost(names[base], profile.name) : null;
  return base && host !== null
    ? t('profilesLive', { name: t(`profiles.${base}`), host })
    : profile.name;
}

const LIVE = '-live';

/** The VM's host name in a live profile's English name, as the live profile names itself. */
function liveHost(baseName: string, name: string): string | null {
  const [before, after] = en.profilesLive.split('{{host}}') as [string, string];
  const prefix = before.replace('{{name}}', baseName);
  return name.startsWith(prefix) && name.endsWith(after)
    ? name.slice(prefix.length, name.length - after.length)
    : null;
}
