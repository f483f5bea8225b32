import { useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useDocument } from '../state/hooks';
import { exportPack, isWorkshopCopy, openLockDialog, resetToOriginal, unlock } from './actions';
import '../styles/workshop.css';

/** The toolbar's "For instructors" disclosure: lock, unlock, export a pack, reset a student copy. */
export function WorkshopMenu() {
  const { t } = useTranslation('workshop');
  const locked = useDocument((s) => s.doc.lock !== undefined);
  const copy = useDocument((s) => isWorkshopCopy(s.path));
  const readOnly = useDocument((s) => s.readOnly);
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  const menuId = useId();

  useEffect(() => {
    if (!open) return;
    const outside = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', outside);
    return () => document.removeEventListener('mousedown', outside);
  }, [open]);

  if (readOnly) return null;
  const run = (action: () => unknown) => () => {
    setOpen(false);
    void action();
  };
  return (
    <div
      className="workshop-menu"
      ref={ref}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && open) {
          e.stopPropagation();
          setOpen(false);
          ref.current?.querySelector<HTMLElement>('button')?.focus();
        }
      }}
    >
      <button type="button" className="button" aria-expanded={open} aria-controls={menuId} onClick={() => setOpen(!open)}>
        {t('menu.button')} <span aria-hidden="true">▾</span>
      </button>
      {open && (
        <ul id={menuId} className="workshop-menu-list">
          <li>
            <button type="button" className="workshop-menu-item" onClick={run(openLockDialog)}>
              {locked ? t('menu.editLock') : t('menu.lock')}
            </button>
          </li>
          {locked && (
            <li>
              <button type="button" className="workshop-menu-item" onClick={run(unlock)}>
                {t('unlock.button')}
              </button>
            </li>
          )}
          <li>
            <button type="button" className="workshop-menu-item" onClick={run(exportPack)}>
              {t('menu.export')}
            </button>
          </li>
          {copy && (
            <li>
              <button type="button" className="workshop-menu-item" onClick={run(resetToOriginal)}>
                {t('reset.button')}
              </button>
            </li>
          )}
        </ul>
      )}
    </div>
  );
}
