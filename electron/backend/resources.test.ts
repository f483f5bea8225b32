// @vitest-environment node
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadTargets } from './resources';
import { userTargetsDir } from './paths';

const shippedDir = path.resolve(__dirname, '../../resources/targets');
const LAB = readFileSync(path.join(shippedDir, 'lab.yaml'), 'utf8');

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'fluxo-targets-'));
});
afterEach(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('loadTargets', () => {
  it('without a user folder (or with one that does not exist) lists the shipped profiles, no problems', async () => {
    const alone = await loadTargets(shippedDir);
    const withMissing = await loadTargets(shippedDir, path.join(tmp, 'no-such-folder'));
    expect(alone.problems).toEqual([]);
    expect(withMissing).toEqual(alone);
    expect(alone.listed.every((t) => t.source === 'shipped' && t.file.startsWith(shippedDir))).toBe(true);
    expect(alone.targets.map((t) => t.id)).toEqual(alone.listed.map((t) => t.profile.id));
  });

  it('<FLUXO_HOME>/targets: a user profile replaces the shipped one with its id and adds new ones; broken files are reported, never hiding valid ones', async () => {
    const home = path.join(tmp, 'home');
    const userDir = userTargetsDir(home);
    expect(userDir).toBe(path.join(home, 'targets'));
    mkdirSync(userDir, { recursive: true });
    writeFileSync(path.join(userDir, 'lab.yaml'), LAB.replace('maxTimeMinutes: 1440', 'maxTimeMinutes: 120'));
    writeFileSync(path.join(userDir, 'uni.yaml'), LAB.replace('id: lab', 'id: uni').replace('title: Test cluster (loopback)', 'title: University cluster'));
    writeFileSync(path.join(userDir, 'typo.yml'), LAB.replace('id: lab', 'id: typo').replace('syntax: gres', 'syntax: gpus'));
    writeFileSync(path.join(userDir, 'notes.txt'), 'not a profile, ignored');

    const { targets, listed, problems } = await loadTargets(shippedDir, userDir);
    const lab = listed.find((t) => t.profile.id === 'lab')!;
    expect(lab).toMatchObject({ source: 'user', file: path.join(userDir, 'lab.yaml'), overrides: path.join(shippedDir, 'lab.yaml') });
    expect(lab.profile.kind === 'slurm' && lab.profile.partitions[0]!.maxTimeMinutes).toBe(120);
    expect(targets.find((t) => t.id === 'uni')?.title).toBe('University cluster');
    expect(targets.map((t) => t.id)).toEqual(expect.arrayContaining(['local', 'cesga-ft3', 'lumi', 'uni']));
    expect(targets.some((t) => t.id === 'typo')).toBe(false);
    expect(problems).toEqual([{ file: path.join(userDir, 'typo.yml'), source: 'user', field: 'gpus.syntax', message: expect.stringMatching(/gres-typed/) }]);
  });

  it('an unreadable user file is a problem with its reason; the rest still load', async () => {
    const userDir = path.join(tmp, 'targets');
    mkdirSync(path.join(userDir, 'folder.yaml'), { recursive: true });
    writeFileSync(path.join(userDir, 'mine.yaml'), LAB.replace('id: lab', 'id: mine'));
    const { targets, problems } = await loadTargets(shippedDir, userDir);
    expect(problems).toEqual([{ file: path.join(userDir, 'folder.yaml'), source: 'user', field: '', message: 'could not read the file: it is a folder, not a file' }]);
    expect(targets.map((t) => t.id)).toContain('mine');
  });

  it('a user folder that is a file is reported, and the shipped profiles still load', async () => {
    const notDir = path.join(tmp, 'targets');
    writeFileSync(notDir, 'oops');
    const { targets, problems } = await loadTargets(shippedDir, notDir);
    expect(problems).toEqual([{ file: notDir, source: 'user', field: '', message: 'could not read the folder: a part of the path is not a folder' }]);
    expect(targets.length).toBe(6);
  });

  it('a broken shipped folder is an error (a broken install), not an empty list', async () => {
    await expect(loadTargets(path.join(tmp, 'missing'))).rejects.toThrow(/ENOENT/);
  });

  it('an invalid shipped profile is reported and the others stay', async () => {
    const dir = path.join(tmp, 'shipped');
    cpSync(shippedDir, dir, { recursive: true });
    writeFileSync(path.join(dir, 'lumi.yaml'), 'id: lumi\nkind: slurm\n');
    const { targets, problems } = await loadTargets(dir);
    expect(targets.map((t) => t.id)).not.toContain('lumi');
    expect(targets.map((t) => t.id)).toContain('leonardo');
    expect(problems.map((p) => p.field)).toEqual(expect.arrayContaining(['title', 'login', 'partitions']));
    expect(problems.every((p) => p.file === path.join(dir, 'lumi.yaml') && p.source === 'shipped')).toBe(true);
  });
});
