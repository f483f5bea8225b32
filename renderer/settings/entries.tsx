import { useTranslation } from 'react-i18next';
import { openSettings } from './settingsStore';
export { RunOptionsControl } from './RunOptions';

/** The one way into "Clusters and connections", on the start screen and in the editor's toolbar. */
export function SettingsEntry() {
  const { t } = useTranslation('targets');
  return (
    <button type="button" className="button" onClick={openSettings}>
      {t('entry')}
    </button>
  );
}
