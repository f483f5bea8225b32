import i18next from 'i18next';
import type { i18n as I18n } from 'i18next';
import { initReactI18next } from 'react-i18next';

/** The languages Fluxo speaks, in the order the picker lists them (each named in itself). */
export const LANGUAGES = [
  { id: 'en', name: 'English' },
  { id: 'es', name: 'Español' },
  { id: 'gl', name: 'Galego' },
] as const;
export type Language = (typeof LANGUAGES)[number]['id'];

const STORAGE_KEY = 'fluxo.language';

// One JSON file per language and namespace (locales/<lang>/<namespace>.json): each part of the UI
// owns its namespace, and a new file is picked up without touching this list.
const files = import.meta.glob<{ default: Record<string, unknown> }>('./locales/*/*.json', { eager: true });

export type Resources = Record<string, Record<string, Record<string, unknown>>>;

/** Every translation, as { lang: { namespace: strings } }. */
export function loadResources(): Resources {
  const out: Resources = {};
  for (const [file, mod] of Object.entries(files)) {
    const m = /\.\/locales\/([a-z]{2})\/([A-Za-z0-9_-]+)\.json$/.exec(file);
    if (!m) continue;
    const [, lang, ns] = m as unknown as [string, string, string];
    (out[lang] ??= {})[ns] = mod.default;
  }
  return out;
}

export function isLanguage(value: unknown): value is Language {
  return LANGUAGES.some((l) => l.id === value);
}

/** The saved choice, else the system's language when Fluxo speaks it, else English. */
export function initialLanguage(): Language {
  try {
    const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (isLanguage(saved)) return saved;
  } catch {
    // Storage can be unavailable (privacy settings); the system language still applies.
  }
  const preferred = globalThis.navigator?.languages ?? [];
  for (const tag of preferred) {
    const base = tag.toLowerCase().split('-')[0];
    if (isLanguage(base)) return base;
  }
  return 'en';
}

/**
 * Starts i18next once for the window. Strings are bundled (no network, no suspense), so the first
 * render is already in the chosen language. Missing keys fall back to English.
 */
export function initI18n(lang: Language = initialLanguage()): I18n {
  if (i18next.isInitialized) {
    if (i18next.language !== lang) void i18next.changeLanguage(lang);
    return i18next;
  }
  const resources = loadResources();
  void i18next.use(initReactI18next).init({
    resources,
    lng: lang,
    fallbackLng: 'en',
    ns: Object.keys(resources.en ?? {}),
    defaultNS: 'common',
    interpolation: { escapeValue: false }, // React escapes.
    returnNull: false,
    react: { useSuspense: false },
    initAsync: false,
  });
  syncDocumentLanguage(lang);
  return i18next;
}

function syncDocumentLanguage(lang: Language): void {
  if (typeof document !== 'undefined') document.documentElement.lang = lang;
}

/** Switches the UI language now and remembers it for the next start. */
export async function setLanguage(lang: Language): Promise<void> {
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, lang);
  } catch {
    // Not remembered, but still switched for this session.
  }
  // Set first: screen readers should switch voice with the very render that shows the new text.
  syncDocumentLanguage(lang);
  await i18next.changeLanguage(lang);
}

/** Calls `listener` after every language switch; returns the unsubscribe function. */
export function onLanguageChange(listener: (lang: Language) => void): () => void {
  const handler = (lng: string) => listener(isLanguage(lng) ? lng : 'en');
  i18next.on('languageChanged', handler);
  return () => i18next.off('languageChanged', handler);
}

export function currentLanguage(): Language {
  const l = i18next.language;
  // Before initI18n (modules that load first), the language it will start in.
  if (!i18next.isInitialized) return initialLanguage();
  return isLanguage(l) ? l : 'en';
}

/** For code outside React (actions, stores): the same strings as useTranslation. */
export const t: I18n['t'] = ((...args: Parameters<I18n['t']>) => i18next.t(...args)) as I18n['t'];
