import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import { LANGUAGES, RESOURCES, type Language } from '../shared/i18n/index.ts';

const STORAGE_KEY = 'p2v-language';

/** The language the technician chose last time, or the browser's, or English. */
function initialLanguage(): Language {
  const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
  if (saved && (LANGUAGES as readonly string[]).includes(saved)) return saved as Language;
  return globalThis.navigator?.language?.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

/** Sets up i18next for React; every string the wizard shows comes from shared/i18n. */
export function setUpI18n(language: Language = initialLanguage()): typeof i18next {
  void i18next.use(initReactI18next).init({
    lng: language,
    fallbackLng: 'en',
    resources: RESOURCES,
    interpolation: { escapeValue: false },
    initAsync: false,
  });
  return i18next;
}

/** Switches language, remembers it, and sets the page's lang for screen readers. */
export function switchLanguage(language: Language): void {
  void i18next.changeLanguage(language);
  globalThis.localStorage?.setItem(STORAGE_KEY, language);
  if (globalThis.document) document.documentElement.lang = language;
}
