import type { ReactNode } from 'react';
import { createElement } from 'react';
import type { ParamDef, ParamType } from '../../shared/catalog';
import type { ParamValue } from '../../shared/document';
import { getApi } from '../api/client';
import { showError, useAppStore } from '../state/appStore';

export interface WidgetProps<D extends ParamDef = ParamDef> {
  def: D;
  /** The effective value: stored, else the default. */
  value: ParamValue | undefined;
  onChange(value: ParamValue | undefined): void;
  id: string;
  describedBy: string;
  invalid: boolean;
}

type Widget<T extends ParamType> = (props: WidgetProps<Extract<ParamDef, { type: T }>>) => ReactNode;

function TextWidget({ def, value, onChange, id, describedBy, invalid }: WidgetProps<Extract<ParamDef, { type: 'string' }>>) {
  return (
    <input
      id={id}
      type="text"
      value={typeof value === 'string' ? value : value === undefined ? '' : String(value)}
      maxLength={def.maxLength}
      onChange={(e) => onChange(e.target.value)}
      aria-describedby={describedBy}
      aria-invalid={invalid}
      required={def.required}
      spellCheck={false}
    />
  );
}

function NumberWidget({ def, value, onChange, id, describedBy, invalid }: WidgetProps<Extract<ParamDef, { type: 'integer' | 'number' }>>) {
  return (
    <input
      id={id}
      type="number"
      // A number (not a string) lets React leave "0." alone while the user is typing "0.05".
      value={typeof value === 'number' ? value : ''}
      min={def.min}
      max={def.max}
      step={def.type === 'integer' ? 1 : 'any'}
      inputMode={def.type === 'integer' ? 'numeric' : 'decimal'}
      onChange={(e) => {
        const text = e.target.value;
        if (text === '') return onChange('');
        const n = Number(text);
        if (Number.isFinite(n)) onChange(n);
      }}
      aria-describedby={describedBy}
      aria-invalid={invalid}
      required={def.required}
    />
  );
}

function BooleanWidget({ value, onChange, id, describedBy, invalid }: WidgetProps<Extract<ParamDef, { type: 'boolean' }>>) {
  return <input id={id} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} aria-describedby={describedBy} aria-invalid={invalid} />;
}

function ChoiceWidget({ def, value, onChange, id, describedBy, invalid }: WidgetProps<Extract<ParamDef, { type: 'choice' }>>) {
  const known = def.choices.some((c) => c.value === value);
  return (
    <select id={id} value={typeof value === 'string' ? value : ''} onChange={(e) => onChange(e.target.value)} aria-describedby={describedBy} aria-invalid={invalid}>
      {(!known || value === undefined) && (
        <option value={typeof value === 'string' ? value : ''} disabled>
          {value === undefined || value === '' ? 'Choose…' : `${String(value)} (not available)`}
        </option>
      )}
      {def.choices.map((c) => (
        <option key={c.value} value={c.value}>
          {c.title}
        </option>
      ))}
    </select>
  );
}

function PathWidget({ def, value, onChange, id, describedBy, invalid }: WidgetProps<Extract<ParamDef, { type: 'path' }>>) {
  const browse = async () => {
    const app = useAppStore.getState();
    if (app.host?.nativeDialogs) {
      const result = await getApi().dialogs.pickFile(def.extensions);
      if (!result.ok) return showError('Could not show the file dialog', result.error);
      if (result.value) onChange(result.value);
      return;
    }
    const path = await app.askPath({ mode: 'pick', title: `Choose ${def.title.toLowerCase()}`, folder: null, extensions: def.extensions });
    if (path) onChange(path);
  };
  return (
    <div className="path-widget">
      <input
        id={id}
        type="text"
        value={typeof value === 'string' ? value : ''}
        onChange={(e) => onChange(e.target.value)}
        aria-describedby={describedBy}
        aria-invalid={invalid}
        required={def.required}
        spellCheck={false}
        placeholder={def.extensions.length ? `A ${def.extensions.join(', ')} file` : undefined}
      />
      <button type="button" className="button small" onClick={() => void browse()} aria-label={`Browse for ${def.title}`}>
        Browse…
      </button>
    </div>
  );
}

/**
 * One widget per param type. The form looks a widget up by `def.type` and never by block id:
 * a new block needs no UI code, and a new param type needs one entry here.
 */
export const widgets: { [T in ParamType]: Widget<T> } = {
  string: TextWidget,
  integer: NumberWidget,
  number: NumberWidget,
  boolean: BooleanWidget,
  choice: ChoiceWidget,
  path: PathWidget,
};

/** Renders the registered widget for the param's type. */
export function ParamWidget(props: WidgetProps) {
  return createElement(widgets[props.def.type] as (p: WidgetProps) => ReactNode, props);
}
