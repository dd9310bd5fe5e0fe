import { en, type Catalog } from './en.ts';
import { zhCN } from './zh-CN.ts';

/** The languages the wizard and the report speak. */
export const LANGUAGES = ['en', 'zh-CN'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Every catalog, in i18next's resource shape. */
export const RESOURCES: Record<Language, { translation: Catalog }> = {
  en: { translation: en },
  'zh-CN': { translation: zhCN },
};
