import type { PipelineDocument } from './schema';

/** The lock key of a param: "<step id>.<param id>". */
export function lockKey(stepId: string, paramId: string): string {
  return `${stepId}.${paramId}`;
}

export function isLocked(doc: Pick<PipelineDocument, 'lock'>): boolean {
  return doc.lock !== undefined;
}

/**
 * Whether a person may change this param now: always in an unlocked pipeline; in a locked one
 * (an instructor's workshop pack) only when the instructor marked it editable.
 */
export function isParamEditable(doc: Pick<PipelineDocument, 'lock'>, stepId: string, paramId: string): boolean {
  return !doc.lock || doc.lock.editable.includes(lockKey(stepId, paramId));
}
