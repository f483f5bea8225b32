import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The resources folder (blocks, examples, targets). FLUXO_RESOURCES overrides; otherwise it is
 * found by walking up from this bundle (dist/electron/*.cjs in development, the app's
 * resources folder when packaged, where electron-builder puts it under process.resourcesPath).
 */
export function defaultResourcesDir(): string {
  const fromEnv = process.env.FLUXO_RESOURCES;
  if (fromEnv) return path.resolve(fromEnv);
  const packaged = (process as { resourcesPath?: string }).resourcesPath;
  const candidates: string[] = [];
  if (packaged) candidates.push(path.join(packaged, 'resources'));
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    candidates.push(path.join(dir, 'resources'));
    dir = path.dirname(dir);
  }
  const found = candidates.find((c) => existsSync(path.join(c, 'blocks')));
  if (!found) throw new Error(`Fluxo's resources folder (blocks, examples) was not found near ${__dirname}; set FLUXO_RESOURCES`);
  return found;
}

/** The user's Fluxo folder: runs/ and pipelines/ live here. FLUXO_HOME overrides ~/Fluxo. */
export function defaultHomeDir(): string {
  return path.resolve(process.env.FLUXO_HOME ?? path.join(os.homedir(), 'Fluxo'));
}

/**
 * The user's own target profiles (<FLUXO_HOME>/targets/*.yaml): they add to the shipped ones,
 * and one with a shipped profile's id replaces it.
 */
export function userTargetsDir(homeDir: string = defaultHomeDir()): string {
  return path.join(homeDir, 'targets');
}
