import type { TFunction } from 'i18next';
import { en } from './i18n/en.ts';

/**
 * A VM profile's name in the language `t` speaks: a built-in profile's from the catalog, any
 * other (a technician's own file, or a built-in one renamed) as its file names it.
 */
export function profileName(t: TFunction, profile: { id: string; name: string }): string {
  const builtIn = (en.profiles as Record<string, string>)[profile.id];
  return builtIn === profile.name ? t(`profiles.${profile.id}`) : profile.name;
}
