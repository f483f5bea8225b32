// @vitest-environment node
import { readdirSync, readFileSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BlockSource } from '../../shared/catalog';
import { buildCatalog } from '../../shared/catalog';
import { compile } from '../../shared/compiler';
import { parseDocument } from '../../shared/document';

const repo = path.resolve(__dirname, '../..');
const blocksDir = path.join(repo, 'resources/blocks');
const examplesDir = path.join(repo, 'resources/examples');
const GOLDEN = path.join(repo, 'test/golden/examples');

function shippedCatalog() {
  const sources: BlockSource[] = readdirSync(blocksDir).map((folder) => {
    const names = readdirSync(path.join(blocksDir, folder));
    return { folder, file: 'block.yaml', text: readFileSync(path.join(blocksDir, folder, 'block.yaml'), 'utf8'), siblings: names.filter((n) => n !== 'block.yaml') };
  });
  return buildCatalog(sources);
}

describe('shipped examples', () => {
  const catalog = shippedCatalog();
  const examples = readdirSync(examplesDir).filter((f) => f.endsWith('.fluxo'));

  it('every shipped block definition loads', () => {
    expect(catalog.problems).toEqual([]);
  });

  for (const file of examples) {
    it(`${file} compiles for "This computer" to the golden bundle (UPDATE_GOLDEN=1 rewrites it)`, () => {
      const parsed = parseDocument(readFileSync(path.join(examplesDir, file), 'utf8'));
      if (!parsed.ok) throw new Error(parsed.message);
      const result = compile(parsed.document, catalog, { id: 'local', title: 'This computer', description: '', kind: 'local' });
      if (!result.ok) throw new Error(JSON.stringify(result.problems, null, 2));
      const dir = path.join(GOLDEN, file.replace(/\.fluxo$/, ''), 'local');
      if (process.env.UPDATE_GOLDEN) {
        rmSync(dir, { recursive: true, force: true });
        for (const f of result.bundle.files) {
          mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
          writeFileSync(path.join(dir, f.path), f.content);
        }
      }
      for (const f of result.bundle.files) expect(f.content, f.path).toBe(readFileSync(path.join(dir, f.path), 'utf8'));
      expect(readdirSync(dir, { recursive: true }).filter((n) => String(n).endsWith('.sh') || String(n).endsWith('.json')).length).toBe(result.bundle.files.length);
    });
  }
});
