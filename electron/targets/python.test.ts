import { describe, expect, it } from 'vitest';
import { choosePython, pythonCandidates } from './python';

const SYSTEM = '/usr/bin/python3';
const names: Record<string, string> = { train: 'Train classifier', eval: 'Evaluate classifier' };

describe('choosePython', () => {
  it('picks an interpreter that has every module', async () => {
    const choice = await choosePython({ minVersion: '3.6', modules: [{ import: 'json', pip: 'json', usedBy: ['train'] }] }, (id) => names[id] ?? id, ['/nonexistent/python3', SYSTEM]);
    expect(choice).toMatchObject({ ok: true, python: expect.stringMatching(/python/) });
  });

  it('names each missing package, the steps that need it and the commands that install it', async () => {
    const choice = await choosePython(
      {
        minVersion: '3.6',
        modules: [
          { import: 'json', pip: 'json', usedBy: ['train'] },
          { import: 'fluxo_not_installed_pkg', pip: 'fluxo-not-installed', apt: 'python3-fluxo-not-installed', usedBy: ['train', 'eval'] },
        ],
      },
      (id) => names[id] ?? id,
      [SYSTEM],
    );
    expect(choice.ok).toBe(false);
    if (choice.ok) return;
    expect(choice.kind).toBe('missing-packages');
    expect(choice.message).toContain('fluxo-not-installed (needed by Train classifier, Evaluate classifier)');
    expect(choice.message).not.toContain('json (');
    expect(choice.hint).toContain('sudo apt install python3-fluxo-not-installed');
    expect(choice.hint).toMatch(/-m pip install fluxo-not-installed/);
  });

  it('says to install Python when there is none', async () => {
    const choice = await choosePython({ minVersion: '3.9', modules: [] }, (id) => id, ['/nonexistent/python3', 'fluxo-no-such-python']);
    expect(choice).toMatchObject({ ok: false, kind: 'missing-python', message: expect.stringMatching(/no Python 3 was found/) });
  });

  it('refuses a Python that is too old, saying which one was found', async () => {
    const choice = await choosePython({ minVersion: '3.99', modules: [] }, (id) => id, [SYSTEM]);
    expect(choice).toMatchObject({ ok: false, kind: 'missing-python', message: expect.stringMatching(/3\.99 or newer.*only an older one/) });
  });
});

describe('pythonCandidates', () => {
  it('uses only FLUXO_PYTHON when the user set it', () => {
    expect(pythonCandidates({ FLUXO_PYTHON: '/opt/py/bin/python' }, 'linux')).toEqual(['/opt/py/bin/python']);
  });
  it('tries the PATH python3 before the system one', () => {
    const list = pythonCandidates({}, 'linux');
    expect(list.indexOf('python3')).toBeLessThan(list.indexOf('/usr/bin/python3'));
  });
});
