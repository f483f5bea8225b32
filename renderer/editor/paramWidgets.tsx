import type { ReactNode } from 'react';
import { createElement, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ParamDef, ParamType } from '../../shared/catalog';
import type { ParamValue } from '../../shared/document';
import { getApi } from '../api/client';
import { showError, useAppStore } from '../state/appStore';
import { RemoteBrowser } from './inspector/RemoteBrowser';
import { useChosenTarget } from './inspector/useTarget';

export interface WidgetProps<D extends ParamDef = ParamDef> {
  def: D;
  /** The effective value: stored, else the default. */
  value: ParamValue | undefined;
  onChange(value: ParamValue | undefined): void;
  id: string;
  /** Space-separated ids of the help, hint and error texts of this field. */
  describedBy: string;
  invalid: boolean;
  /** Locked by the instructor, or a past run: shown, not changeable. */
  disabled: boolean;
  /** A problem only the widget can see (text that is not yet a number); null clears it. */
  onTypedError?(message: string | null): void;
}

type Widget<T extends ParamType> = (props: WidgetProps<Extract<ParamDef, { type: T }>>) => ReactNode;

/**
 * How the form labels a widget: `label` a <label for>, `legend` a fieldset's legend (radio
 * groups), `inline` a label after the control (checkboxes).
 */
export type Labelling = 'label' | 'legend' | 'inline';

interface WidgetEntry<T extends ParamType> {
  render: Widget<T>;
  labelling(def: Extract<ParamDef, { type: T }>): Labelling;
}

const common = (p: WidgetProps) => ({
  id: p.id,
  'data-field': p.def.id,
  'aria-describedby': p.describedBy || undefined,
  'aria-invalid': p.invalid,
  disabled: p.disabled,
});

function TextWidget(p: WidgetProps<Extract<ParamDef, { type: 'string' }>>) {
  const text = typeof p.value === 'string' ? p.value : p.value === undefined ? '' : String(p.value);
  if (p.def.multiline) {
    return <textarea {...common(p)} value={text} maxLength={p.def.maxLength} rows={4} onChange={(e) => p.onChange(e.target.value)} required={p.def.required} spellCheck={false} />;
  }
  return <input {...common(p)} type="text" value={text} maxLength={p.def.maxLength} onChange={(e) => p.onChange(e.target.value)} required={p.def.required} spellCheck={false} />;
}

/** A number as typed, or null when it is not one ("0." is not yet, "1e" neither). */
export function parseTypedNumber(text: string): number | null {
  const t = text.trim().replace(',', '.');
  if (t === '' || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

const shown = (v: ParamValue | undefined) => (typeof v === 'number' ? String(v) : typeof v === 'string' ? v : '');

/**
 * A text field with spin-button keys rather than <input type=number>: the browser's number field
 * throws away what cannot be parsed yet ("0.", "1e-"), so the person's typing would vanish. The
 * text stays as typed; the value in the pipeline changes only when it is a number.
 */
function NumberWidget(p: WidgetProps<Extract<ParamDef, { type: 'integer' | 'number' }>>) {
  const { t } = useTranslation('inspector');
  const { def, value, onChange, onTypedError } = p;
  const [draft, setDraft] = useState(shown(value));
  const [seen, setSeen] = useState(value);
  // An outside change (undo, another field, a reset) replaces the text unless it says the same.
  if (seen !== value) {
    setSeen(value);
    if (parseTypedNumber(draft) !== value) setDraft(shown(value));
  }
  const step = def.step ?? 1;
  const set = (text: string) => {
    setDraft(text);
    if (text.trim() === '') {
      onTypedError?.(null);
      return onChange('');
    }
    const n = parseTypedNumber(text);
    if (n === null) return onTypedError?.(t('number.notANumber', { title: def.title }));
    onTypedError?.(null);
    onChange(n);
  };
  const nudge = (direction: 1 | -1) => {
    const current = typeof value === 'number' ? value : (def.min ?? 0);
    let next = Math.round((current + direction * step) * 1e9) / 1e9;
    if (def.min !== undefined) next = Math.max(def.min, next);
    if (def.max !== undefined) next = Math.min(def.max, next);
    set(String(next));
  };
  return (
    <span className="number-widget">
      <input
        {...common(p)}
        type="text"
        role="spinbutton"
        inputMode={def.type === 'integer' ? 'numeric' : 'decimal'}
        autoComplete="off"
        value={draft}
        aria-valuemin={def.min}
        aria-valuemax={def.max}
        aria-valuenow={typeof value === 'number' ? value : undefined}
        required={def.required}
        onChange={(e) => set(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowUp' || e.key === 'ArrowDown') {
            e.preventDefault();
            nudge(e.key === 'ArrowUp' ? 1 : -1);
          }
        }}
      />
      {def.unit ? (
        <span className="field-unit" aria-hidden="true">
          {def.unit}
        </span>
      ) : null}
    </span>
  );
}

/** The field's bounds, step and unit in words, or null when it has none of them. */
export function numberHint(def: Extract<ParamDef, { type: 'integer' | 'number' }>, t: (key: string, o?: Record<string, unknown>) => string): string | null {
  const unit = def.unit ? ` ${def.unit}` : '';
  const parts: string[] = [];
  if (def.min !== undefined && def.max !== undefined) parts.push(t('number.between', { min: def.min, max: def.max, unit }));
  else if (def.min !== undefined) parts.push(t('number.atLeast', { min: def.min, unit }));
  else if (def.max !== undefined) parts.push(t('number.atMost', { max: def.max, unit }));
  else if (def.unit) parts.push(t('number.inUnit', { unit: def.unit }));
  if (def.type === 'integer' && !def.step) parts.push(t('number.whole'));
  if (def.step) parts.push(t('number.step', { step: def.step, unit }));
  return parts.length ? parts.join('; ') : null;
}

function BooleanWidget(p: WidgetProps<Extract<ParamDef, { type: 'boolean' }>>) {
  return <input {...common(p)} type="checkbox" checked={p.value === true} onChange={(e) => p.onChange(e.target.checked)} />;
}

/** Up to this many choices are radio buttons (all visible at once, each with its help). */
export const RADIO_MAX = 4;

function ChoiceWidget(p: WidgetProps<Extract<ParamDef, { type: 'choice' }>>) {
  const { t } = useTranslation('inspector');
  const { def, value, onChange } = p;
  const known = def.choices.some((c) => c.value === value);
  const name = useId();
  if (def.choices.length <= RADIO_MAX) {
    return (
      <div className="radio-group">
        {def.choices.map((c, i) => {
          const helpId = `${p.id}-choice-${i}`;
          return (
            <div key={c.value} className="radio-row">
              <input
                type="radio"
                id={i === 0 ? p.id : `${p.id}-${i}`}
                name={name}
                data-field={def.id}
                value={c.value}
                checked={value === c.value}
                disabled={p.disabled}
                aria-invalid={p.invalid}
                aria-describedby={[c.help ? helpId : '', p.describedBy].filter(Boolean).join(' ') || undefined}
                onChange={() => onChange(c.value)}
              />
              <label htmlFor={i === 0 ? p.id : `${p.id}-${i}`}>
                {c.title}
                {c.help ? (
                  <span id={helpId} className="choice-help">
                    {c.help}
                  </span>
                ) : null}
              </label>
            </div>
          );
        })}
      </div>
    );
  }
  const chosen = def.choices.find((c) => c.value === value);
  return (
    <>
      <select {...common(p)} value={typeof value === 'string' ? value : ''} onChange={(e) => onChange(e.target.value)}>
        {(!known || value === undefined) && (
          <option value={typeof value === 'string' ? value : ''} disabled>
            {value === undefined || value === '' ? t('choice.choose') : t('choice.notAvailable', { value: String(value) })}
          </option>
        )}
        {def.choices.map((c) => (
          <option key={c.value} value={c.value}>
            {c.title}
          </option>
        ))}
      </select>
      {chosen?.help ? <p className="field-help choice-help">{chosen.help}</p> : null}
    </>
  );
}

function PathWidget(p: WidgetProps<Extract<ParamDef, { type: 'path' }>>) {
  const { t } = useTranslation('inspector');
  const { def, value, onChange } = p;
  const target = useChosenTarget();
  const [remoteOpen, setRemoteOpen] = useState(false);
  const folder = def.kind === 'folder';
  const browse = async () => {
    const app = useAppStore.getState();
    if (app.host?.nativeDialogs) {
      const result = folder ? await getApi().dialogs.pickFolder() : await getApi().dialogs.pickFile(def.extensions);
      if (!result.ok) return showError(t('path.dialogFailed'), result.error);
      if (result.value) onChange(result.value);
      return;
    }
    const path = await app.askPath({ mode: folder ? 'folder' : 'pick', title: t(folder ? 'path.chooseFolder' : 'path.chooseFile', { title: def.title.toLowerCase() }), folder: null, extensions: def.extensions });
    if (path) onChange(path);
  };
  const placeholder = folder ? t('path.aFolder') : def.extensions.length ? t('path.aFileOf', { extensions: def.extensions.join(', ') }) : undefined;
  return (
    <div className="path-field">
      <div className="path-widget">
        <input {...common(p)} type="text" value={typeof value === 'string' ? value : ''} onChange={(e) => onChange(e.target.value)} required={def.required} spellCheck={false} placeholder={placeholder} />
        <button type="button" className="button small" onClick={() => void browse()} aria-label={t('path.browseFor', { title: def.title })} disabled={p.disabled}>
          {t('path.browse')}
        </button>
      </div>
      {target?.kind === 'slurm' && (
        <button type="button" className="button small remote-browse-button" onClick={() => setRemoteOpen(true)} disabled={p.disabled} aria-label={t('path.browseClusterFor', { title: def.title, target: target.title })}>
          {t('path.browseCluster')}
        </button>
      )}
      {remoteOpen && target?.kind === 'slurm' && (
        <RemoteBrowser
          target={target}
          title={t('path.remoteTitle', { title: def.title, target: target.title })}
          pick={folder ? 'folder' : 'file'}
          extensions={def.extensions}
          start={typeof value === 'string' && value.startsWith('/') ? value : null}
          onClose={(chosen) => {
            setRemoteOpen(false);
            if (chosen) onChange(chosen);
          }}
        />
      )}
    </div>
  );
}

/**
 * One widget per param type. The form looks a widget up by `def.type` and never by block id:
 * a new block needs no UI code, and a new param type needs one entry here.
 */
export const widgets: { [T in ParamType]: WidgetEntry<T> } = {
  string: { render: TextWidget, labelling: () => 'label' },
  integer: { render: NumberWidget, labelling: () => 'label' },
  number: { render: NumberWidget, labelling: () => 'label' },
  boolean: { render: BooleanWidget, labelling: () => 'inline' },
  choice: { render: ChoiceWidget, labelling: (def) => (def.choices.length <= RADIO_MAX ? 'legend' : 'label') },
  path: { render: PathWidget, labelling: () => 'label' },
};

export function labellingOf(def: ParamDef): Labelling {
  return (widgets[def.type].labelling as (d: ParamDef) => Labelling)(def);
}

/** Renders the registered widget for the param's type. */
export function ParamWidget(props: WidgetProps) {
  return createElement(widgets[props.def.type].render as (p: WidgetProps) => ReactNode, props);
}
