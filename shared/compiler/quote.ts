/**
 * Shell quoting for generated scripts. Every user value goes through `quoteValue`; the compiler
 * never builds a shell line by pasting user text.
 */

/** Single-quotes a value for bash: `'` becomes `'\''`. Refuses NUL, which no shell word can hold. */
export function quoteValue(value: string): string {
  if (value.includes('\0')) throw new QuoteError('a value contains a NUL character, which cannot be passed to a program');
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export class QuoteError extends Error {
  override name = 'QuoteError';
}

/** Characters that need no quoting at all in bash and read naturally (flags, plain file names). */
const BARE = /^[A-Za-z0-9_.,:=/+@%-]+$/;
/** Characters safe inside double quotes next to a `$VAR` reference. */
const DQ_SAFE = /^[A-Za-z0-9_.,:=/+@% -]*$/;

/** A piece of one shell word: plain text, a variable reference, or a user value. */
export type WordPart = { kind: 'text'; text: string } | { kind: 'var'; name: string } | { kind: 'value'; value: string };

/**
 * Renders one shell word from parts. Variables and safe text are grouped in double quotes so a
 * path reads like `"${FLUXO_RUN}/steps/split/train.csv"`; user values are always single-quoted.
 */
export function renderWord(parts: WordPart[]): string {
  let out = '';
  let dq = '';
  let dqHasVar = false;
  const flush = () => {
    if (dq) out += dqHasVar || !BARE.test(dq) ? `"${dq}"` : dq;
    dq = '';
    dqHasVar = false;
  };
  for (const part of parts) {
    if (part.kind === 'var') {
      // Braces so following text can never extend the variable name.
      dq += `\${${part.name}}`;
      dqHasVar = true;
    } else if (part.kind === 'text' && DQ_SAFE.test(part.text) && part.text !== '') {
      dq += part.text;
    } else if (part.kind === 'text') {
      flush();
      out += part.text === '' ? '' : quoteValue(part.text);
    } else {
      flush();
      out += quoteValue(part.value);
    }
  }
  flush();
  return out === '' ? "''" : out;
}

/** Makes text safe inside a `#` comment: one line, no control characters. */
export function commentText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim();
}
