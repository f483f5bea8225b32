import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEmptyDocument } from '../../shared/document';
import { Autosaves, processIsAlive } from './autosave';

let home: string;
beforeEach(() => {
  home = mkdtempSync(path.join(os.tmpdir(), 'fluxo-autosave-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const doc = (name: string) => createEmptyDocument(name, new Date('2026-01-01T00:00:00Z'));
const A = 'session-aaaa';
const B = 'session-bbbb';

describe('autosave and crash recovery', () => {
  it('offers the work of a process that died, with its saved path', async () => {
    let clock = 1_000_000;
    const dead = new Autosaves(home, { pid: 4242, now: () => clock });
    await dead.write(A, doc('Tumour study'), '/data/tumour.fluxo');
    const next = new Autosaves(home, { pid: 5000, now: () => clock, isAlive: (pid) => pid === 5000 });
    const offered = await next.recoverable(B);
    expect(offered.map((w) => [w.session, w.name, w.path])).toEqual([[A, 'Tumour study', '/data/tumour.fluxo']]);
    expect(offered[0]!.document.metadata.name).toBe('Tumour study');
    clock += 1;
  });

  it('never offers the work of another window that is alive and beating', async () => {
    let clock = 1_000_000;
    const opts = { pid: 77, now: () => clock, isAlive: () => true, staleMs: 45_000 };
    const other = new Autosaves(home, opts);
    await other.write(A, doc('Other window'), null);
    clock += 40_000;
    await other.heartbeat(A);
    clock += 40_000;
    expect(await new Autosaves(home, opts).recoverable(B)).toEqual([]);
    // Without heartbeats the window is taken as gone.
    clock += 10_000;
    expect((await new Autosaves(home, opts).recoverable(B)).map((w) => w.session)).toEqual([A]);
  });

  it('offers an earlier page of the same window right after a reload', async () => {
    const live = new Autosaves(home, { isAlive: () => true });
    await live.write(A, doc('Before reload'), null);
    expect((await live.recoverable(A)).map((w) => w.name)).toEqual(['Before reload']);
    expect(await live.recoverable(B)).toEqual([]);
  });

  it('a discard removes both files and a heartbeat without work writes nothing', async () => {
    const saves = new Autosaves(home);
    await saves.write(A, doc('x'), null);
    expect(readdirSync(saves.dir).sort()).toEqual([`${A}.fluxo`, `${A}.lock`]);
    await saves.discard(A);
    await saves.heartbeat(B);
    expect(readdirSync(saves.dir)).toEqual([]);
  });

  it('drops a lock whose document is damaged instead of offering it', async () => {
    const saves = new Autosaves(home, { isAlive: () => false });
    await saves.write(A, doc('x'), null);
    writeFileSync(path.join(saves.dir, `${A}.fluxo`), '{"half":');
    expect(await saves.recoverable(B)).toEqual([]);
    expect(existsSync(path.join(saves.dir, `${A}.lock`))).toBe(false);
  });

  it('refuses a session id that could name another file', async () => {
    await expect(new Autosaves(home).write('../../etc', doc('x'), null)).rejects.toThrow(/session/);
  });

  it('knows this process is alive and a made-up one is not', () => {
    expect(processIsAlive(process.pid)).toBe(true);
    expect(processIsAlive(2 ** 22 + 12345)).toBe(false);
  });
});
