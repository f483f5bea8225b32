import { promises as fs, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import type { BundleManifest } from '../../shared/compiler';

/**
 * The Debian/Ubuntu package of a command where its name differs from the command's. Anything not
 * listed is packaged under its own name (fastp, bwa, samtools, bcftools, bedtools, minimap2...).
 */
const DEBIAN_PACKAGE: Record<string, string> = {
  bgzip: 'tabix',
  Rscript: 'r-base-core',
  R: 'r-base-core',
  java: 'default-jre-headless',
  picard: 'picard-tools',
  singularity: 'singularity-container',
  convert: 'imagemagick',
  dot: 'graphviz',
};

export function debianPackageOf(tool: string): string {
  return DEBIAN_PACKAGE[tool] ?? tool;
}

export interface MissingTool {
  tool: string;
  /** Step ids whose system environment needs it, in pipeline order. */
  usedBy: string[];
  /** The Debian/Ubuntu package that provides it. */
  apt: string;
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    const st = await fs.stat(file);
    if (!st.isFile()) return false;
    await fs.access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The full path of a command found on PATH, as the shell would find it; null when it is not there. */
export async function whichTool(tool: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): Promise<string | null> {
  const dirs = (env.PATH ?? env.Path ?? '').split(path.delimiter).filter(Boolean);
  const extensions = platform === 'win32' ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';')] : [''];
  for (const dir of dirs) {
    for (const ext of extensions) {
      const candidate = path.join(dir, tool + ext);
      if (await isExecutable(candidate)) return candidate;
    }
  }
  return null;
}

/**
 * The commands that the steps' system environments need and that are not on PATH. `skip` names
 * commands checked another way (the Python check finds an interpreter even off PATH).
 */
export async function findMissingTools(manifest: BundleManifest, env: NodeJS.ProcessEnv = process.env, skip: ReadonlySet<string> = new Set()): Promise<MissingTool[]> {
  const needed = new Map<string, string[]>();
  for (const step of manifest.steps) {
    if (step.environment.kind !== 'system') continue;
    for (const tool of step.environment.tools) if (!skip.has(tool)) needed.set(tool, [...(needed.get(tool) ?? []), step.id]);
  }
  const missing: MissingTool[] = [];
  for (const [tool, usedBy] of needed) {
    if ((await whichTool(tool, env)) === null) missing.push({ tool, usedBy, apt: debianPackageOf(tool) });
  }
  return missing;
}

/** One line naming each missing program and the steps that need it, and one saying how to install them. */
export function describeMissingTools(missing: MissingTool[], namer: (stepId: string) => string): { message: string; hint: string } {
  const list = missing.map((m) => `${m.tool} (needed by ${m.usedBy.map(namer).join(', ')})`).join('; ');
  const packages = [...new Set(missing.map((m) => m.apt))];
  return {
    message: `${missing.length === 1 ? 'A program this pipeline needs is' : 'Programs this pipeline needs are'} not installed on this computer: ${list}`,
    hint: `Install ${packages.length === 1 ? 'it' : 'them'} with: sudo apt install ${packages.join(' ')} (Debian/Ubuntu), or put ${missing.length === 1 ? 'it' : 'them'} on PATH before starting Fluxo.`,
  };
}
