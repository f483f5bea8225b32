/**
 * Shell quoting for generated scripts. Every user value goes through `quoteValue`; the compiler
 * never builds a shell line by pasting user text.
 */

/**
 * Quotes a value for bash so it reaches the program byte for byte. Plain single quotes
 * (`'` becomes `'\''`) unless the value holds control characters (newline, tab, ESC...): then
 * bash's $'...' with escapes, so every script line stays one line and nothing in a value can
 * look like a directive or a command to a reader or a tool. Refuses NUL, which no argument can hold.
 */
export function quoteValue(value: string): string {
  if (value.includes('\0')) throw new QuoteError('a value contains a NUL character, which cannot be passed to a program');
  // eslint-disable-next-line no-control-regex
  if (!/[\u0001-\u001f\u007f]/.test(value)) return `'${value.replace(/'/g, `'\\''`)}'`;
  const named: Record<string, string> = { '\n': '\\n', '\t': '\\t', '\r': '\\r' };
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (named[ch]) out += named[ch];
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `$'${out}'`;
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
