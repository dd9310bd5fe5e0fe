import i18next, { type TFunction } from 'i18next';
import { RESOURCES, type Language } from './index.ts';

/** A ready translate function for one language, for code outside React (the report). */
export function translator(language: Language): TFunction {
  const instance = i18next.createInstance();
  void instance.init({
    lng: language,
    fallbackLng: 'en',
    resources: RESOURCES,
    // The report escapes what it puts into HTML itself; the wizard's React does the same.
    interpolation: { escapeValue: false },
    initAsync: false,
  });
  return instance.t;
}
