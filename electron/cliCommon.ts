/** What every fluxo command shares: exit codes, output streams, errors. */
import type { FluxoError, Result } from '../shared/api';
import { FluxoFailure } from '../shared/api';
import type { Problem } from '../shared/validate';

/** Exit codes, as documented in the README. */
export const Exit = { Completed: 0, Failed: 1, InvalidInput: 2, Cancelled: 130 } as const;

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const stdio: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

export class UsageError extends Error {}
/** Input that is wrong in itself (a folder in use, an unknown target): the message, without the usage text. */
export class InputError extends Error {}

export function formatError(e: FluxoError): string {
  return `fluxo: ${e.message} [${e.code}]${e.hint ? `\n  ${e.hint}` : ''}`;
}

export function unwrap<T>(r: Result<T>): T {
  if (!r.ok) throw new FluxoFailure(r.error);
  return r.value;
}

/** One line per problem: severity, code, step and field, what is wrong, and the fix. */
export function formatProblem(p: Problem): string {
  const where = [p.stepId ? `step ${p.stepId}` : null, p.field ? `field ${p.field}` : null].filter(Boolean).join(', ');
  const oneLine = (t: string) => t.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  return `${p.severity === 'error' ? 'error' : 'warning'} ${p.code}${where ? ` (${where})` : ''}: ${oneLine(p.message)} Fix: ${oneLine(p.fix)}`;
}
