import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ParamDef } from '../../../shared/catalog';
import { checkParamValue, effectiveParamValue } from '../../../shared/catalog';
import type { ParamValue, Step } from '../../../shared/document';
import { useDocumentStoreApi } from '../../state/hooks';
import { labellingOf, numberHint, ParamWidget } from '../paramWidgets';
import { LockIcon } from './LockIcon';

export type FieldLock = 'none' | 'instructor' | 'past-run';

/**
 * One param: its label, widget, hint (bounds, unit), help and error, all linked to the control
 * with aria-describedby so a screen reader reads why a value is refused.
 */
export function ParamField({ def, step, lock }: { def: ParamDef; step: Step; lock: FieldLock }) {
  const { t } = useTranslation('inspector');
  const store = useDocumentStoreApi();
  const id = useId();
  const [typedError, setTypedError] = useState<string | null>(null);
  const value = effectiveParamValue(def, step.params);
  const error = typedError ?? checkParamValue(def, value);
  const hint = def.type === 'integer' || def.type === 'number' ? numberHint(def, t) : null;
  const ids = { help: `${id}-help`, hint: `${id}-hint`, error: `${id}-error`, lock: `${id}-lock` };
  const describedBy = [hint ? ids.hint : null, error ? ids.error : null, lock !== 'none' ? ids.lock : null, def.help ? ids.help : null].filter(Boolean).join(' ');
  const onChange = (v: ParamValue | undefined) => store.getState().setParam(step.id, def.id, v);
  const labelling = labellingOf(def);
  const widget = <ParamWidget def={def} value={value} onChange={onChange} id={id} describedBy={describedBy} invalid={!!error} disabled={lock !== 'none'} onTypedError={setTypedError} />;
  const title = (
    <>
      {def.title}
      {def.required || def.type === 'boolean' ? '' : <span className="optional"> {t('field.optional')}</span>}
    </>
  );

  const notes = (
    <>
      {hint && (
        <p id={ids.hint} className="field-hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={ids.error} className="field-error">
          {error}
        </p>
      )}
      {lock !== 'none' && (
        <p id={ids.lock} className="field-lock">
          <LockIcon /> 
          {lock === 'instructor' ? t('lock.instructor') : t('lock.pastRun')}
        </p>
      )}
      {def.help && (
        <p id={ids.help} className="field-help">
          {def.help}
        </p>
      )}
    </>
  );

  const className = `field field-${def.type} ${error ? 'invalid' : ''} ${lock !== 'none' ? 'locked' : ''}`;
  if (labelling === 'legend') {
    return (
      <fieldset className={className}>
        <legend>{title}</legend>
        {widget}
        {notes}
      </fieldset>
    );
  }
  return (
    <div className={className}>
      {labelling === 'inline' ? (
        <div className="checkbox-row">
          {widget}
          <label htmlFor={id}>{title}</label>
        </div>
      ) : (
        <>
          <label htmlFor={id}>{title}</label>
          {widget}
        </>
      )}
      {notes}
    </div>
  );
}
