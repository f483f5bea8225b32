import { describe, expect, it } from 'vitest';
import { LANGUAGES, loadResources } from './index';

const PLURAL = /_(zero|one|two|few|many|other)$/;

/** key path -> string, with plural forms folded into their base key. */
function flatten(obj: Record<string, unknown>, prefix = ''): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object') {
      for (const [kk, vv] of flatten(v as Record<string, unknown>, key)) out.set(kk, [...(out.get(kk) ?? []), ...vv]);
    } else {
      const base = key.replace(PLURAL, '');
      out.set(base, [...(out.get(base) ?? []), String(v)]);
    }
  }
  return out;
}

const variables = (texts: string[]) => [...new Set(texts.flatMap((s) => [...s.matchAll(/\{\{\s*([A-Za-z0-9_.]+)[^}]*\}\}/g)].map((m) => m[1])))].sort();

describe('translations', () => {
  const resources = loadResources();
  const english = resources.en ?? {};

  it('has English strings for the UI', () => {
    expect(Object.keys(english)).toContain('common');
  });

  for (const { id } of LANGUAGES.filter((l) => l.id !== 'en')) {
    it(`${id} translates every namespace and key English has, with the same placeholders`, () => {
      const lang = resources[id] ?? {};
      expect(Object.keys(lang).sort()).toEqual(Object.keys(english).sort());
      for (const ns of Object.keys(english)) {
        const en = flatten(english[ns]!);
        const other = flatten(lang[ns] ?? {});
        expect([...other.keys()].sort(), `${id}/${ns}.json keys`).toEqual([...en.keys()].sort());
        for (const [key, texts] of en) {
          const theirs = other.get(key) ?? [];
          expect(theirs.every((s) => s.trim().length > 0), `${id}/${ns}:${key} is empty`).toBe(true);
          expect(variables(theirs), `${id}/${ns}:${key} placeholders`).toEqual(variables(texts));
        }
      }
    });
  }

  it('has no empty English string', () => {
    for (const [ns, strings] of Object.entries(english)) {
      for (const [key, texts] of flatten(strings)) expect(texts.every((s) => s.trim().length > 0), `en/${ns}:${key}`).toBe(true);
    }
  });
});
