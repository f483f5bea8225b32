import { execFile } from 'node:child_process';
import type { BundleManifest, PythonRequirement } from '../../shared/compiler';

type PythonNeeds = NonNullable<BundleManifest['python']>;

export interface PythonProbe {
  command: string;
  executable: string;
  version: [number, number];
  missing: string[];
}

const PROBE = [
  'import sys, json, importlib.util',
  'missing = []',
  'for m in sys.argv[1:]:',
  '    try:',
  '        if importlib.util.find_spec(m) is None: missing.append(m)',
  '    except Exception: missing.append(m)',
  'print(json.dumps({"executable": sys.executable, "version": list(sys.version_info[:2]), "missing": missing}))',
].join('\n');

/** Runs a candidate interpreter once to learn its version and which modules it lacks. */
export function probePython(command: string, modules: string[], timeoutMs = 20000): Promise<PythonProbe | null> {
  return new Promise((resolve) => {
    execFile(command, ['-c', PROBE, ...modules], { timeout: timeoutMs, windowsHide: true }, (error, stdout) => {
      if (error) return resolve(null);
      try {
        const parsed = JSON.parse(stdout.trim().split('\n').pop() ?? '') as Omit<PythonProbe, 'command'>;
        resolve({ command, ...parsed });
      } catch {
        resolve(null);
      }
    });
  });
}

/**
 * Interpreters to try, in order. FLUXO_PYTHON, when set, is the only one: the user chose it.
 * Otherwise the one on PATH first, then the system one, which on Debian/Ubuntu is where
 * `apt install python3-sklearn` puts packages even when a pyenv or conda python3 shadows it.
 */
export function pythonCandidates(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string[] {
  if (env.FLUXO_PYTHON) return [env.FLUXO_PYTHON];
  if (platform === 'win32') return ['python', 'py'];
  return ['python3', '/usr/bin/python3', '/usr/local/bin/python3', '/opt/homebrew/bin/python3', 'python'];
}

export type PythonChoice =
  | { ok: true; python: string; probe: PythonProbe }
  | { ok: false; kind: 'missing-python'; message: string; hint: string }
  | { ok: false; kind: 'missing-packages'; message: string; hint: string; missing: PythonRequirement[] };

function versionAtLeast(v: [number, number], min: string): boolean {
  const [maj, minor] = min.split('.').map(Number) as [number, number];
  return v[0] > maj || (v[0] === maj && v[1] >= minor);
}

/** Describes which step needs a module, by step label, for the error message. */
export type StepNamer = (stepId: string) => string;

/** Picks the first interpreter that has every module; otherwise explains what to install, and how. */
export async function choosePython(needs: PythonNeeds, namer: StepNamer, candidates = pythonCandidates()): Promise<PythonChoice> {
  const imports = needs.modules.map((m) => m.import);
  const probes: PythonProbe[] = [];
  const seen = new Set<string>();
  for (const c of candidates) {
    const probe = await probePython(c, imports);
    if (!probe || seen.has(probe.executable)) continue;
    seen.add(probe.executable);
    if (probe.missing.length === 0 && versionAtLeast(probe.version, needs.minVersion)) return { ok: true, python: probe.executable, probe };
    probes.push(probe);
  }
  const usable = probes.filter((p) => versionAtLeast(p.version, needs.minVersion));
  if (usable.length === 0) {
    const found = probes.map((p) => `${p.executable} is Python ${p.version.join('.')}`).join('; ');
    return {
      ok: false,
      kind: 'missing-python',
      message: `Python ${needs.minVersion} or newer is needed to run this pipeline, but ${found ? `only an older one was found (${found})` : 'no Python 3 was found'}`,
      hint: 'Install Python 3 (Debian/Ubuntu: sudo apt install python3; macOS/Windows: python.org), or set FLUXO_PYTHON to the path of a python3.',
    };
  }
  const best = [...usable].sort((a, b) => a.missing.length - b.missing.length)[0]!;
  const missing = needs.modules.filter((m) => best.missing.includes(m.import));
  const list = missing.map((m) => `${m.pip} (needed by ${[...new Set(m.usedBy.map(namer))].join(', ')})`).join('; ');
  const apt = missing.map((m) => m.apt).filter(Boolean);
  const install = [
    apt.length === missing.length ? `sudo apt install ${apt.join(' ')}` : null,
    `${best.executable} -m pip install ${missing.map((m) => m.pip).join(' ')}`,
  ].filter(Boolean);
  return {
    ok: false,
    kind: 'missing-packages',
    message: `Python packages missing for this pipeline: ${list}. Python checked: ${best.executable}`,
    hint: `Install them with: ${install.join('  or  ')}; or set FLUXO_PYTHON to a Python that has them.`,
    missing,
  };
}
