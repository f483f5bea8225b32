// @vitest-environment node
import { readdirSync, readFileSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BlockSource } from '../../shared/catalog';
import { buildCatalog } from '../../shared/catalog';
import { compile } from '../../shared/compiler';
import { parseDocument } from '../../shared/document';
import type { TargetProfile } from '../../shared/targets';
import { zTargetProfile } from '../../shared/targets';
import { parse as parseYaml } from 'yaml';

const repo = path.resolve(__dirname, '../..');
const blocksDir = path.join(repo, 'resources/blocks');
const examplesDir = path.join(repo, 'resources/examples');
const GOLDEN = path.join(repo, 'test/golden/examples');
const targetsDir = path.join(repo, 'resources/targets');

function shippedTarget(id: string): TargetProfile {
  return zTargetProfile.parse(parseYaml(readFileSync(path.join(targetsDir, `${id}.yaml`), 'utf8')));
}

/** The gallery's claim: each example lists the targets it runs on. */
const index = JSON.parse(readFileSync(path.join(examplesDir, 'index.json'), 'utf8')) as Array<{ file: string; targets: string[] }>;
/** Accounts a cluster needs; a real user types theirs, the golden files use a recognisable placeholder. */
const ACCOUNT = { account: 'fluxo_test' };

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

  it('lists every example in index.json', () => {
    expect(index.map((e) => e.file).sort()).toEqual([...examples].sort());
  });

  for (const file of examples) {
    const targets = index.find((e) => e.file === file)?.targets ?? [];
    for (const targetId of targets) {
      it(`${file} compiles for ${targetId} to the golden bundle (UPDATE_GOLDEN=1 rewrites it)`, () => {
        const parsed = parseDocument(readFileSync(path.join(examplesDir, file), 'utf8'));
        if (!parsed.ok) throw new Error(parsed.message);
        const target = shippedTarget(targetId);
        const result = compile(parsed.document, catalog, target, target.kind === 'slurm' ? ACCOUNT : {});
        if (!result.ok) throw new Error(JSON.stringify(result.problems, null, 2));
        const dir = path.join(GOLDEN, file.replace(/\.fluxo$/, ''), targetId);
        if (process.env.UPDATE_GOLDEN) {
          rmSync(dir, { recursive: true, force: true });
          for (const f of result.bundle.files) {
            mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
            writeFileSync(path.join(dir, f.path), f.content);
          }
        }
        for (const f of result.bundle.files) expect(f.content, f.path).toBe(readFileSync(path.join(dir, f.path), 'utf8'));
        const onDisk = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile());
        expect(onDisk.length).toBe(result.bundle.files.length);
      });
    }
  }
});
