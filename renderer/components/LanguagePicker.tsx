import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { isLanguage, LANGUAGES } from '../i18n';
import { useAppStore } from '../state/appStore';
import '../styles/i18n.css';

/**
 * Chooses the UI language. Each language is named in itself, so someone who cannot read the
 * current one still finds theirs; a globe marks the control in every language.
 */
export function LanguagePicker({ className }: { className?: string }) {
  const { t } = useTranslation('app');
  const language = useAppStore((s) => s.language);
  const setLanguage = useAppStore((s) => s.setLanguage);
  const id = useId();
  return (
    <div className={`language-picker ${className ?? ''}`}>
      <label htmlFor={id} title={t('languageHint')}>
        <svg className="language-icon" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
          <circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" strokeWidth="1.2" />
          <path d="M1.5 8h13M8 1.5c-2.2 2.2-2.2 10.8 0 13M8 1.5c2.2 2.2 2.2 10.8 0 13" fill="none" stroke="currentColor" strokeWidth="1.2" />
        </svg>
        {t('common:language')}
      </label>
      <select
        id={id}
        value={language}
        onChange={(e) => {
          if (isLanguage(e.target.value)) setLanguage(e.target.value);
        }}
      >
        {LANGUAGES.map((l) => (
          <option key={l.id} value={l.id} lang={l.id}>
            {l.name}
          </option>
        ))}
      </select>
    </div>
  );
}
