import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RECENT_LIMIT, RecentFiles } from './recent';

let home: string;
beforeEach(() => {
  home = mkdtempSync(path.join(os.tmpdir(), 'fluxo-recent-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('recent files', () => {
  it('lists the last opened file first, once, and marks files that are gone as missing', async () => {
    const a = path.join(home, 'a.fluxo');
    const b = path.join(home, 'b.fluxo');
    writeFileSync(a, '{}');
    const recent = new RecentFiles(home);
    await recent.add(a, 'A', new Date('2026-01-01T00:00:00Z'));
    await recent.add(b, 'B', new Date('2026-01-02T00:00:00Z'));
    await recent.add(a, 'A again', new Date('2026-01-03T00:00:00Z'));
    const list = await new RecentFiles(home).list();
    expect(list.map((e) => [e.name, e.exists])).toEqual([
      ['A again', true],
      ['B', false],
    ]);
  });

  it('forgets one file and keeps at most the limit', async () => {
    const recent = new RecentFiles(home);
    for (let i = 0; i < RECENT_LIMIT + 3; i++) await recent.add(path.join(home, `${i}.fluxo`), `P${i}`);
    let list = await recent.list();
    expect(list).toHaveLength(RECENT_LIMIT);
    expect(list[0]!.name).toBe(`P${RECENT_LIMIT + 2}`);
    await recent.remove(list[0]!.path);
    list = await recent.list();
    expect(list.map((e) => e.name)).not.toContain(`P${RECENT_LIMIT + 2}`);
  });

  it('treats a damaged list as empty instead of failing', async () => {
    await fs.writeFile(path.join(home, 'recent.json'), 'not json');
    const recent = new RecentFiles(home);
    expect(await recent.list()).toEqual([]);
    await recent.add(path.join(home, 'x.fluxo'), 'X');
    expect((await recent.list()).map((e) => e.name)).toEqual(['X']);
  });

  it('keeps every add when many happen at once', async () => {
    const recent = new RecentFiles(home);
    await Promise.all([1, 2, 3, 4].map((i) => recent.add(path.join(home, `${i}.fluxo`), `P${i}`)));
    expect((await recent.list()).map((e) => e.name).sort()).toEqual(['P1', 'P2', 'P3', 'P4']);
  });
});

describe('the backend keeps the recent list and the autosaves behind the contract', () => {
  it('open and save put the pipeline at the top; forgetRecent removes it; autosave round-trips through the services', async () => {
    const { createBackend } = await import('./index');
    const { createEmptyDocument } = await import('../../shared/document');
    const backend = createBackend({ hostKind: 'cli', resourcesDir: path.resolve('resources'), homeDir: home });
    try {
      const s = backend.services;
      const doc = createEmptyDocument('Kept', new Date('2026-01-01T00:00:00Z'));
      const saved = await s.documents.save(path.join(home, 'pipelines', 'kept'), doc);
      expect(saved.ok).toBe(true);
      const file = saved.ok ? saved.value.path : '';
      expect(file.endsWith('kept.fluxo')).toBe(true);
      let recent = await s.documents.recent();
      expect(recent.ok && recent.value.map((r) => [r.name, r.path, r.exists])).toEqual([['Kept', file, true]]);
      await s.documents.open(file);
      expect(await s.documents.forgetRecent(file)).toEqual({ ok: true, value: undefined });
      recent = await s.documents.recent();
      expect(recent.ok && recent.value).toEqual([]);

      expect((await s.autosave.write('window-1234', doc, file)).ok).toBe(true);
      // Another window of this live process does not get it; the same window after a reload does.
      const other = await s.autosave.recoverable('window-5678');
      expect(other.ok && other.value).toEqual([]);
      const mine = await s.autosave.recoverable('window-1234');
      expect(mine.ok && mine.value.map((w) => [w.name, w.path])).toEqual([['Kept', file]]);
      await s.autosave.discard('window-1234');
      const after = await s.autosave.recoverable('window-1234');
      expect(after.ok && after.value).toEqual([]);
    } finally {
      await backend.dispose();
    }
  });
});

describe('contract arguments of the new methods', () => {
  it('refuses session ids that could name another file and paths with NUL', async () => {
    const { argSchema } = await import('../../shared/api');
    expect(argSchema('autosave.heartbeat')!.safeParse(['window-1234']).success).toBe(true);
    for (const bad of ['../../etc/passwd', 'short', 'a/b-12345678', '']) expect(argSchema('autosave.heartbeat')!.safeParse([bad]).success).toBe(false);
    expect(argSchema('workshops.open')!.safeParse(['/tmp/a\0.fluxopack']).success).toBe(false);
    expect(argSchema('documents.forgetRecent')!.safeParse(['/tmp/a.fluxo']).success).toBe(true);
  });
});
