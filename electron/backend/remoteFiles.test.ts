// @vitest-environment node
/**
 * remote.browse against the real lab (test/cluster/lab.sh): the user's work root first, folders
 * before files, a missing folder and a forbidden one said in words, and a host whose key is not
 * trusted refused before anything is listed. Skips with a printed reason when the lab is down.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../shared/api';
import type { Prompter } from '../ssh/transport';
import { labFor, makeLabHome } from '../../test/cluster/fluxoHome';
import type { LabHome } from '../../test/cluster/fluxoHome';
import { asUser, REPO } from '../../test/cluster/lab';
import { createClusterConnections } from './clusters';
import { createBackend } from './index';

const gate = labFor('remoteFiles.test.ts');
const describeLab = gate.lab === undefined ? describe.skip : describe;

/** Answers nothing: logins here use keys, and an unknown host key must be refused, not accepted. */
const refusingPrompter: Prompter = {
  confirmHostKey: async () => false,
  ask: async () => null,
};

function backendFor(home: LabHome, env: NodeJS.ProcessEnv = home.env) {
  const clusters = createClusterConnections({ prompter: refusingPrompter, homeDir: home.home, env: { ...process.env, ...env } });
  const backend = createBackend({ hostKind: 'cli', resourcesDir: path.join(REPO, 'resources'), homeDir: home.home, clusters });
  return { backend, close: () => clusters.closeAll() };
}

describeLab('remote.browse on the lab cluster (SFTP)', () => {
  const lab = gate.lab!;
  let home: LabHome;
  let b: ReturnType<typeof backendFor>;

  beforeAll(() => {
    home = makeLabHome(lab);
    const r = asUser(lab, `mkdir -p ~/${home.workRootName}/scans/ct && printf 'a,b\\n1,2\\n' > ~/${home.workRootName}/cohort.csv && mkdir -p ~/${home.workRootName}/.hidden && mkdir -p ~/${home.workRootName}/locked && chmod 000 ~/${home.workRootName}/locked`);
    expect(r.code, r.stderr).toBe(0);
    b = backendFor(home);
  });
  afterAll(async () => {
    await b?.close();
    if (home) {
      asUser(lab, `chmod 700 ~/${home.workRootName}/locked; rm -rf ~/${home.workRootName}`);
      rmSync(home.home, { recursive: true, force: true });
    }
  });

  it('with no path it lists the profile work root: folders first, then files with their size, hidden entries left out', async () => {
    const r = await b.backend.services.remote.browse('lab', null);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    if (!r.ok) return;
    expect(r.value.folder).toBe(home.workRoot);
    expect(r.value.parent).toBe(lab.userHome);
    expect(r.value.entries.map((e) => [e.name, e.kind])).toEqual([
      ['locked', 'folder'],
      ['scans', 'folder'],
      ['cohort.csv', 'file'],
    ]);
    expect(r.value.entries.find((e) => e.name === 'cohort.csv')).toMatchObject({ path: `${home.workRoot}/cohort.csv`, size: 8 });
  });

  it('opens a sub-folder by its absolute path, and goes up through parent', async () => {
    const r = await b.backend.services.remote.browse('lab', `${home.workRoot}/scans/`);
    expect(r.ok && r.value).toMatchObject({ folder: `${home.workRoot}/scans`, parent: home.workRoot, entries: [{ name: 'ct', kind: 'folder', path: `${home.workRoot}/scans/ct` }] });
  });

  it('a folder that does not exist is refused with E520 and the path in words', async () => {
    const r = await b.backend.services.remote.browse('lab', `${home.workRoot}/nope`);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe(ErrorCode.RemotePathMissing);
    expect(r.error.message).toContain(`there is no folder ${home.workRoot}/nope`);
  });

  it('a folder the account may not read is refused with E521, "permission denied"', async () => {
    const r = await b.backend.services.remote.browse('lab', `${home.workRoot}/locked`);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe(ErrorCode.RemotePathDenied);
    expect(r.error.message).toMatch(/permission denied/);
    expect(r.error.hint).toMatch(/may not read this folder/);
  });

  it('"This computer" is not a cluster, and an unknown target is named', async () => {
    const local = await b.backend.services.remote.browse('local', null);
    expect(!local.ok && local.error.code).toBe(ErrorCode.Unsupported);
    const unknown = await b.backend.services.remote.browse('nowhere', null);
    expect(!unknown.ok && unknown.error.message).toBe('there is no target "nowhere"');
  });

  it('a cluster whose host key is not trusted is refused (E501) with words, before anything is listed', async () => {
    const emptyKnownHosts = path.join(mkdtempSync(path.join(os.tmpdir(), 'fluxo-kh-')), 'known_hosts');
    writeFileSync(emptyKnownHosts, '');
    const untrusting = backendFor(home, { ...home.env, FLUXO_KNOWN_HOSTS: emptyKnownHosts });
    try {
      const r = await untrusting.backend.services.remote.browse('lab', null);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.error.code).toBe(ErrorCode.HostKeyUnknown);
      expect(r.error.message).toMatch(/^Test cluster \(loopback\): the cluster's host key is not trusted yet/);
    } finally {
      await untrusting.close();
      rmSync(path.dirname(emptyKnownHosts), { recursive: true, force: true });
    }
  });
});
