import { useId, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useStore } from 'zustand';
import { effectiveParams, isParamVisible } from '../../shared/catalog';
import { lockKey } from '../../shared/document';
import { DialogFrame } from '../components/DialogFrame';
import { useAppStore } from '../state/appStore';
import type { DocumentStore } from '../state/documentStore';
import { applyLock, closeLockDialog, useWorkshopUi } from './actions';
import '../styles/workshop.css';

/** "Lock for students…": every visible param of every step, each with "students may change this". */
function LockForm({ store }: { store: DocumentStore }) {
  const { t } = useTranslation('workshop');
  const doc = useStore(store, (s) => s.doc);
  const blocksById = useAppStore((s) => s.blocksById);
  const messageId = useId();
  const [editable, setEditable] = useState<Set<string>>(() => new Set(doc.lock?.editable ?? []));
  const [message, setMessage] = useState(doc.lock?.message ?? '');

  const groups = useMemo(
    () =>
      doc.steps.map((step) => {
        const block = blocksById.get(step.type);
        const values = block ? effectiveParams(block, step.params) : {};
        const params = (block?.params ?? []).filter((def) => isParamVisible(def, values));
        return { step, title: step.label || block?.title || step.id, params };
      }),
    [doc.steps, blocksById],
  );

  const toggle = (key: string, on: boolean) => {
    const next = new Set(editable);
    if (on) next.add(key);
    else next.delete(key);
    setEditable(next);
  };

  return (
    <DialogFrame title={t('lock.title')} onEscape={closeLockDialog} className="lock-dialog" initialFocus="input[type=checkbox]">
      <p className="lock-lead">{t('lock.lead')}</p>
      <div className="lock-steps">
        {groups.length === 0 && <p className="muted">{t('lock.noSteps')}</p>}
        {groups.map(({ step, title, params }) => (
          <fieldset key={step.id} className="lock-step" data-step={step.id}>
            <legend>{title}</legend>
            {params.length === 0 && <p className="muted lock-none">{t('lock.noParams')}</p>}
            {params.map((def) => {
              const key = lockKey(step.id, def.id);
              return (
                <label key={key} className="lock-param">
                  <input type="checkbox" checked={editable.has(key)} onChange={(e) => toggle(key, e.target.checked)} data-lock-key={key} aria-label={t('lock.mayChange', { param: def.title, step: title })} />
                  <span className="lock-param-title">{def.title}</span>
                </label>
              );
            })}
          </fieldset>
        ))}
      </div>
      <div className="field">
        <label htmlFor={messageId}>{t('lock.message')}</label>
        <textarea id={messageId} value={message} maxLength={2000} rows={3} placeholder={t('lock.messagePlaceholder')} onChange={(e) => setMessage(e.target.value)} />
      </div>
      <p className="field-help">{t('lock.count', { count: editable.size })}</p>
      <div className="dialog-buttons">
        <button type="button" className="button" onClick={closeLockDialog}>
          {t('common:cancel')}
        </button>
        <button type="button" className="button primary" onClick={() => applyLock({ editable: [...editable], message: message.trim() })}>
          {t('lock.confirm')}
        </button>
      </div>
    </DialogFrame>
  );
}

export function LockDialog() {
  const open = useWorkshopUi((s) => s.lockDialog);
  const store = useAppStore((s) => s.editor);
  if (!open || !store) return null;
  return <LockForm store={store} />;
}
