/**
 * Deterministic generator of hostile strings for the quoting fuzz test. Same seed, same strings,
 * so a mismatch found once can be found again.
 */

/** mulberry32: tiny, fast, and good enough to spread choices; not for anything secret. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pieces that mean something to bash, printf, Slurm or a terminal. */
const SHELL = [
  "'", '"', '\\', '$(', ')', '`', ';', '&&', '||', '|', '&', '\n', '\r', '\r\n', '\t', '#', '%', '%s', '%b', '%n', '*', '?', '[', ']', '~', '~root',
  '-', '--', '-e', '-n', '--help', '$', '${', '}', '$HOME', '${IFS}', '$@', '$*', '$0', '$?', '$$', '$!', '$1', "$'", '$"', '!', '!!', '<', '>', '>>', '2>&1',
  '<(', '>(', '{a,b}', '{1..3}', '(', '{', ' ', '  ', "'\\''", '\\n', '\\x41', '\\0', '\\\\', '#SBATCH --wrap=x', 'eval', 'exec', '=', '^', ',', '@', ':',
  '\u0001', '\u0007', '\u001b[31m', '\u001b]0;title\u0007', '\u007f', '\u0008', '\u000b', '\u000c',
];

/** Non-ASCII text: accents, CJK, astral emoji and maths, right-to-left scripts and controls, odd spaces. */
const UNICODE = [
  'é', 'ñ', 'ß', 'Ω', 'ж', '中文', '日本語', '한국어', 'مرحبا', 'שלום', 'हिन्दी', '😀', '🧬', '👩\u200d🔬', '𝕏', '𝔘𝔫𝔦', '\u{10FFFF}', '\u{1F3F3}\u{FE0F}\u200D\u{1F308}',
  '\u202e', '\u202d', '\u200e', '\u200f', '\u2066', '\u2069', '\u200b', '\u200d', '\ufeff', '\u00a0', '\u2028', '\u2029', '\u0085', '\u0300', 'e\u0301', '\u00ad', '\u3000',
  '\ufffd', '\uffff', '\u0080', '\u009f',
];

const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));

export function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}

function piece(rand: () => number): string {
  const r = rand();
  if (r < 0.45) return pick(rand, SHELL);
  if (r < 0.7) return pick(rand, UNICODE);
  if (r < 0.9) return pick(rand, PRINTABLE);
  // Any code point but NUL and lone surrogates (which no UTF-8 file can hold).
  for (;;) {
    const cp = 1 + Math.floor(rand() * 0x10ffff);
    if (cp < 0xd800 || cp > 0xdfff) return String.fromCodePoint(cp);
  }
}

function mixed(rand: () => number, pieces: number): string {
  let s = '';
  for (let i = 0; i < pieces; i++) s += piece(rand);
  return s;
}

/** About 10 kB of mixed text: long values (prompts, paths, notes) cross buffer and line-length edges. */
function long(rand: () => number): string {
  let s = '';
  while (Buffer.byteLength(s) < 10_000) s += piece(rand) + mixed(rand, 3);
  return s;
}

/**
 * `count` strings, deterministic for a seed. Every shape the issue names: empty, a single hostile
 * piece, leading dashes, short mixes, all-one-kind runs, and some 10 kB strings.
 */
export function hostileStrings(seed: number, count: number): string[] {
  const rand = prng(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = rand();
    if (i % 997 === 0) out.push('');
    else if (i % 211 === 0) out.push(long(rand));
    else if (r < 0.15) out.push(pick(rand, SHELL));
    else if (r < 0.25) out.push(`-${mixed(rand, 1 + Math.floor(rand() * 4))}`);
    else if (r < 0.3) out.push(pick(rand, SHELL).repeat(1 + Math.floor(rand() * 20)));
    else out.push(mixed(rand, 1 + Math.floor(rand() * 24)));
  }
  return out;
}
