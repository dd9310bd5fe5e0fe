import type { TFunction } from 'i18next';
import type { Language } from '../shared/i18n/index.ts';
import { translator } from '../shared/i18n/translator.ts';

/**
 * The language the CLI speaks, from the locale as POSIX orders it (LC_ALL, then LC_MESSAGES,
 * then LANG): Chinese for any `zh` locale, English otherwise (C, POSIX, unset).
 */
export function cliLanguage(env: NodeJS.ProcessEnv = process.env): Language {
  const locale = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return /^zh([_.@-]|$)/i.test(locale) ? 'zh-CN' : 'en';
}

let cached: TFunction | null = null;

/** The catalogs' translate function in the CLI's language. */
export function cliTranslator(): TFunction {
  cached ??= translator(cliLanguage());
  return cached;
}
