import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeTarget, mergeProfiles, parseProfile, unknownFacts } from '.';
import type { ProfileText, SlurmProfile } from '.';

const shippedDir = path.resolve(__dirname, '../../resources/targets');
const shippedTexts: ProfileText[] = readdirSync(shippedDir)
  .filter((n) => n.endsWith('.yaml'))
  .sort()
  .map((n) => ({ file: n, source: 'shipped', text: readFileSync(path.join(shippedDir, n), 'utf8') }));

const LAB = shippedTexts.find((t) => t.file === 'lab.yaml')!.text;

describe('shipped profiles', () => {
  it('all parse, pass the cross-field checks, and are named after their id', () => {
    const merged = mergeProfiles(shippedTexts);
    expect(merged.problems).toEqual([]);
    expect(merged.targets.map((t) => t.profile.id).sort()).toEqual(['cesga-ft3', 'lab', 'leonardo', 'local', 'lumi', 'marenostrum5']);
    for (const t of merged.targets) {
      expect(t.file).toBe(`${t.profile.id}.yaml`);
      expect(t.source).toBe('shipped');
      expect(t.overrides).toBeNull();
    }
  });

  it('cite a source for their facts (every cluster profile)', () => {
    for (const t of mergeProfiles(shippedTexts).targets) {
      if (t.profile.kind === 'slurm') expect(t.profile.sources.length, t.file).toBeGreaterThan(0);
    }
  });
});

describe('parseProfile', () => {
  const user = (text: string, file = 'mine.yaml'): ProfileText => ({ file, source: 'user', text });

  it('names line and column of a YAML syntax error', () => {
    const r = parseProfile(user('id: x\ntitle: [oops\n'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ file: 'mine.yaml', source: 'user', field: '' });
    expect(r.problems[0]!.message).toMatch(/^not valid YAML: .*line \d+, column \d+/);
  });

  it('says an empty file is empty and a list is not a profile', () => {
    const empty = parseProfile(user(''));
    expect(!empty.ok && empty.problems[0]!.message).toMatch(/empty/);
    const list = parseProfile(user('- a\n- b\n'));
    expect(!list.ok && list.problems[0]!.message).toMatch(/mapping/);
  });

  it('reports schema errors with the field path, partition indexes included', () => {
    const broken = LAB.replace('maxGpus: 2', 'maxGpus: -1').replace('hosts: [127.0.0.1]', 'hosts: ["bad host"]');
    const r = parseProfile(user(broken));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.id).toBe('lab');
    const fields = r.problems.map((p) => p.field);
    expect(fields).toEqual(expect.arrayContaining(['partitions[1].maxGpus', 'login.hosts[0]']));
    expect(r.problems.find((p) => p.field === 'login.hosts[0]')!.message).toMatch(/host name/);
  });

  it('reports cross-field problems (a default partition that does not exist)', () => {
    const r = parseProfile(user(LAB.replace('cpuPartition: cpu', 'cpuPartition: batch')));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([{ file: 'mine.yaml', source: 'user', field: 'defaults.cpuPartition', message: '"batch" is not one of the partitions' }]);
  });

  it('refuses an #SBATCH-breaking partition name', () => {
    const r = parseProfile(user(LAB.replace('- name: cpu', '- name: "cpu\\n#SBATCH --x"')));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problems.map((p) => p.field)).toContain('partitions[0].name');
  });
});

describe('mergeProfiles', () => {
  const myLab = LAB.replace('title: Test cluster (loopback)', 'title: My lab').replace('port: 2222', 'port: 2200');

  it('a user profile with a shipped id replaces the shipped one, in its place, and says which file won', () => {
    const merged = mergeProfiles([...shippedTexts, { file: '/home/me/Fluxo/targets/lab.yaml', source: 'user', text: myLab }]);
    expect(merged.problems).toEqual([]);
    const ids = merged.targets.map((t) => t.profile.id);
    expect(ids).toEqual(mergeProfiles(shippedTexts).targets.map((t) => t.profile.id));
    const lab = merged.targets.find((t) => t.profile.id === 'lab')!;
    expect(lab).toMatchObject({ source: 'user', file: '/home/me/Fluxo/targets/lab.yaml', overrides: 'lab.yaml' });
    expect(lab.profile.title).toBe('My lab');
    expect(lab.profile.kind === 'slurm' && lab.profile.login.port).toBe(2200);
  });

  it('adds new user profiles after the shipped ones', () => {
    const merged = mergeProfiles([...shippedTexts, { file: 'u/hpc.yaml', source: 'user', text: LAB.replace('id: lab', 'id: my-hpc') }]);
    expect(merged.targets.at(-1)).toMatchObject({ source: 'user', file: 'u/hpc.yaml', overrides: null });
    expect(merged.targets.at(-1)!.profile.id).toBe('my-hpc');
  });

  it('a broken user file never hides valid profiles, and the shipped profile it meant to replace stays', () => {
    const merged = mergeProfiles([
      ...shippedTexts,
      { file: 'u/lab.yaml', source: 'user', text: myLab.replace('workRoot: $HOME/fluxo-runs', 'workRoot: ""') },
      { file: 'u/junk.yaml', source: 'user', text: '{{{' },
      { file: 'u/ok.yaml', source: 'user', text: LAB.replace('id: lab', 'id: other') },
    ]);
    expect(merged.targets.map((t) => t.profile.id)).toEqual(expect.arrayContaining(['lab', 'other', 'local', 'lumi']));
    expect(merged.targets.find((t) => t.profile.id === 'lab')).toMatchObject({ source: 'shipped', file: 'lab.yaml' });
    const files = merged.problems.map((p) => `${p.file} ${p.field}`);
    expect(files).toEqual(expect.arrayContaining(['u/lab.yaml storage.workRoot', 'u/junk.yaml ']));
    expect(merged.problems.find((p) => p.file === 'u/lab.yaml' && p.field === '')!.message).toMatch(/shipped profile "lab" \(lab\.yaml\) is used instead/);
  });

  it('two user files with one id: the first (by name) wins and the second is reported', () => {
    const merged = mergeProfiles([
      { file: 'u/a.yaml', source: 'user', text: LAB.replace('id: lab', 'id: twin') },
      { file: 'u/b.yaml', source: 'user', text: LAB.replace('id: lab', 'id: twin') },
    ]);
    expect(merged.targets.map((t) => t.file)).toEqual(['u/a.yaml']);
    expect(merged.problems).toEqual([{ file: 'u/b.yaml', source: 'user', field: 'id', message: expect.stringMatching(/already used by u\/a\.yaml/) }]);
  });
});

describe('describeTarget', () => {
  const listed = mergeProfiles(shippedTexts).targets;
  const byId = (id: string) => listed.find((t) => t.profile.id === id)!;

  it('spells out what FinisTerrae III does not know and that Fluxo will ask', () => {
    const text = describeTarget(byId('cesga-ft3')).join('\n');
    expect(text).toMatch(/^cesga-ft3: CESGA FinisTerrae III \[slurm\] \(shipped cesga-ft3\.yaml\)/);
    expect(text).toMatch(/account:\s+unknown \u2014 you will be asked \(e\.g\. curso123\)/);
    expect(text).toMatch(/login:\s+ft3\.cesga\.es/);
    expect(text).toContain('--gres=gpu:a100:N, 32 CPU cores per GPU');
    expect(text).toMatch(/gpu: time unknown, 64 CPUs, memory unknown, 2 GPUs \(a100\) per node/);
    expect(text).toMatch(/unknown:\s+whether an account/);
  });

  it('shows each GPU syntax as the scripts will write it', () => {
    expect(describeTarget(byId('leonardo')).join('\n')).toContain('--gres=gpu:N, 8 CPU cores per GPU');
    expect(describeTarget(byId('lumi')).join('\n')).toContain('--gpus-per-node=N, 7 CPU cores per GPU, AMD');
    expect(describeTarget(byId('marenostrum5')).join('\n')).toMatch(/transfer:\s+transfer1\.bsc\.es/);
  });

  it('the lab profile knows its limits: nothing about partitions is listed as unknown', () => {
    const lab = byId('lab').profile as SlurmProfile;
    expect(unknownFacts(lab)).toEqual([]);
    expect(describeTarget(byId('lab')).join('\n')).toMatch(/cpu: time 1 d, 8 CPUs, memory 16 GB, no GPUs per node \(default for CPU steps\)/);
  });

  it('a local profile is one heading and its description', () => {
    expect(describeTarget(byId('local'))).toEqual(['local: This computer [local] (shipped local.yaml)', '  Runs every step on this computer, in parallel where the pipeline allows. No account needed.']);
  });
});
