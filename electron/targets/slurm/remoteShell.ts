/**
 * Building remote shell commands. Every value that reaches a remote shell goes through `q`
 * (single quotes); the few things that must be expanded there (a profile's work root such as
 * "$LUSTRE/fluxo") are checked against a pattern that allows variables and plain path characters
 * only, so nothing in them can run a command.
 */
import { quoteValue } from '../../../shared/compiler/quote';

export const q = quoteValue;

/** "$LUSTRE/fluxo", "${STORE}/runs", "/gpfs/scratch/ehpc01/fluxo": variables and path characters, nothing else. */
const WORK_ROOT = /^(?:\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|[A-Za-z0-9._/+-])+$/;

export function isSafeWorkRoot(expr: string): boolean {
  return WORK_ROOT.test(expr) && !expr.includes('..');
}

/** Marks where our output starts, so a login shell's banner (echo in .bashrc) cannot be misread as it. */
export const BEGIN = '--fluxo-begin--';

/**
 * A script run by the user's login shell (bash -l), where site variables ($LUSTRE, $STORE) and the
 * module command are defined as in an interactive session. Output after BEGIN is the answer.
 */
export function loginShell(script: string): string {
  return `bash -l -c ${q(`echo ${BEGIN}; ${script}`)}`;
}

export function afterBegin(stdout: string): string {
  const at = stdout.indexOf(`${BEGIN}\n`);
  return at < 0 ? stdout : stdout.slice(at + BEGIN.length + 1);
}
