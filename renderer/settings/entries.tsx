import { useTranslation } from 'react-i18next';
import { openSettings } from './settingsStore';
export { RunOptionsControl } from './RunOptions';

/** The one way into "Clusters and connections", on the start screen and in the editor's toolbar. */
export function SettingsEntry({ compact = false }: { compact?: boolean }) {
  const { t } = useTranslation('targets');
  // The toolbar is crowded: a short word there, the full name for screen readers (it starts with it).
  return compact ? (
    <button type="button" className="button subtle" onClick={openSettings} aria-label={t('entry')} title={t('entry')}>
      {t('entryShort')}
    </button>
  ) : (
    <button type="button" className="button" onClick={openSettings}>
      {t('entry')}
    </button>
  );
}
