import type { ParamValue } from '../document/schema';
import type { BlockDefinition, ParamDef } from './schema';

export type ParamValues = Readonly<Record<string, ParamValue>>;

/** The value a param has in a step: the stored one, else the block's default. */
export function effectiveParamValue(def: ParamDef, stored: ParamValues): ParamValue | undefined {
  return Object.prototype.hasOwnProperty.call(stored, def.id) ? stored[def.id] : def.default;
}

/** All values of a step with defaults filled in, used to evaluate show-conditions. */
export function effectiveParams(block: BlockDefinition, stored: ParamValues): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const def of block.params) {
    const v = effectiveParamValue(def, stored);
    if (v !== undefined) out[def.id] = v;
  }
  return out;
}

/** A hidden param is neither shown nor validated; the command still gets its value (or default), so argv is stable. */
export function isParamVisible(def: ParamDef, values: ParamValues): boolean {
  if (!def.show) return true;
  return Object.entries(def.show).every(([other, allowed]) => {
    const v = values[other];
    return v !== undefined && allowed.some((a) => a === v);
  });
}

/** Default param values for a new step of this block (only params that have a default). */
export function defaultParams(block: BlockDefinition): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const def of block.params) if (def.default !== undefined) out[def.id] = def.default;
  return out;
}

/**
 * Checks one value against its definition. Returns a sentence for the user, or null when valid.
 * Shared by the inspector's inline validation and by validate/ so both say the same words.
 */
export function checkParamValue(def: ParamDef, value: ParamValue | undefined): string | null {
  if (value === undefined || value === '') {
    return def.required ? `${def.title} is required` : null;
  }
  switch (def.type) {
    case 'string':
    case 'path': {
      if (typeof value !== 'string') return `${def.title} must be text`;
      if (value.includes('\0')) return `${def.title} must not contain a NUL character`;
      if (def.type === 'string') {
        if (value.length > def.maxLength) return `${def.title} must be at most ${def.maxLength} characters`;
        if (def.pattern && !new RegExp(def.pattern).test(value)) return `${def.title} has an invalid format`;
      }
      return null;
    }
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return `${def.title} must be a number`;
      if (def.type === 'integer' && !Number.isInteger(value)) return `${def.title} must be a whole number`;
      if (def.min !== undefined && value < def.min) return `${def.title} must be at least ${def.min} (it is ${value})`;
      if (def.max !== undefined && value > def.max) return `${def.title} must be at most ${def.max} (it is ${value})`;
      return null;
    }
    case 'boolean':
      return typeof value === 'boolean' ? null : `${def.title} must be yes or no`;
    case 'choice': {
      if (typeof value !== 'string' || !def.choices.some((c) => c.value === value)) {
        return `${def.title} must be one of: ${def.choices.map((c) => c.title).join(', ')}`;
      }
      return null;
    }
  }
}
