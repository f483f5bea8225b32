import { useSyncExternalStore } from 'react';
import { useTranslation } from 'react-i18next';
import type { ConnectionStatus } from '../api/client';
import { getConnection } from '../api/client';

const subscribe = (onChange: () => void) => getConnection()?.onStatusChange(onChange) ?? (() => undefined);
const snapshot = (): ConnectionStatus => getConnection()?.status() ?? 'open';

/** Shown while the browser host is unreachable; the client reconnects on its own. */
export function ConnectionBanner() {
  const { t } = useTranslation('app');
  const status = useSyncExternalStore(subscribe, snapshot);
  if (status !== 'lost') return null;
  return (
    <div className="connection-banner" role="alert">
      <span className="spinner" aria-hidden="true" /> {t('connectionLost')}
    </div>
  );
}
