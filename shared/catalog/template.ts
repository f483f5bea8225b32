/** One piece of an argv template element. */
export type TemplatePart =
  | { kind: 'text'; text: string }
  | { kind: 'python' }
  | { kind: 'block' }
  | { kind: 'outdir' }
  | { kind: 'param'; id: string }
  | { kind: 'input'; id: string }
  | { kind: 'output'; id: string };

const PLACEHOLDER = /\{\{\s*([a-z]+)(?:\.([a-z][a-z0-9_]*))?\s*\}\}/g;

export type TemplateParse = { ok: true; parts: TemplatePart[] } | { ok: false; message: string };

export function parseTemplateArg(arg: string): TemplateParse {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const m of arg.matchAll(PLACEHOLDER)) {
    const index = m.index ?? 0;
    if (index > last) parts.push({ kind: 'text', text: arg.slice(last, index) });
    const [whole, head, id] = m;
    last = index + whole.length;
    if (id === undefined) {
      if (head === 'python' || head === 'block' || head === 'outdir') parts.push({ kind: head });
      else return { ok: false, message: `unknown placeholder ${whole}` };
    } else if (head === 'params') parts.push({ kind: 'param', id });
    else if (head === 'inputs') parts.push({ kind: 'input', id });
    else if (head === 'outputs') parts.push({ kind: 'output', id });
    else return { ok: false, message: `unknown placeholder ${whole}` };
  }
  if (last < arg.length) parts.push({ kind: 'text', text: arg.slice(last) });
  const rest = parts.filter((p) => p.kind === 'text').map((p) => (p as { text: string }).text).join('');
  if (rest.includes('{{') || rest.includes('}}')) return { ok: false, message: `malformed placeholder in "${arg}"` };
  return { ok: true, parts };
}
