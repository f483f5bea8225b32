// @vitest-environment node
// The packaged app carries no node_modules (electron-builder.yml `files`), and Electron's
// sandboxed preload may only require('electron'). So the bundles must need nothing else at run
// time. They are built here from the current sources by scripts/build-node.mjs itself.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildNodeBundles } from '../fixtures/buildNode';

const out = mkdtempSync(path.join(os.tmpdir(), 'fluxo-bundles-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
// ws probes for these optional native speed-ups inside try/catch.
const optional = new Set(['bufferutil', 'utf-8-validate']);
/**
 * ssh2's native crypto and cpu-features, copied beside the bundle by build-node.mjs. ssh2 loads
 * them inside try/catch and falls back to pure JS when they do not load (an Electron ABI).
 */
const nativeAddon = /^\.\/[A-Za-z0-9_-]+\.node$/;

beforeAll(() => buildNodeBundles(out), 60_000);

function requires(name: 'main' | 'preload' | 'web'): { code: string; modules: string[] } {
  const code = readFileSync(path.join(out, 'electron', `${name}.cjs`), 'utf8');
  const modules = [...new Set([...code.matchAll(/\brequire\(["']([^"']+)["']\)/g)].map((m) => m[1] as string))].sort();
  return { code, modules };
}

describe('bundles', () => {
  it('preload requires only electron, and stays small (no zod, no backend)', () => {
    const { code, modules } = requires('preload');
    expect(modules).toEqual(['electron']);
    expect(code.length).toBeLessThan(20_000);
    expect(code).not.toMatch(/zod|handleRequest|node:fs/);
    expect(code).toContain('exposeInMainWorld("fluxo"');
    expect(code).not.toMatch(/exposeInMainWorld\([^)]*ipcRenderer\)/);
  });

  it('main requires only electron, Node built-ins and the native addons copied beside it', () => {
    const { modules } = requires('main');
    const extra = modules.filter((m) => m !== 'electron' && !builtins.has(m) && !nativeAddon.test(m));
    expect(extra).toEqual([]);
    for (const m of modules.filter((x) => nativeAddon.test(x))) expect(existsSync(path.join(out, 'electron', m)), m).toBe(true);
  });

  it('the browser host requires only Node built-ins (and never electron)', () => {
    const { modules } = requires('web');
    expect(modules).not.toContain('electron');
    expect(modules.filter((m) => !builtins.has(m) && !optional.has(m) && !nativeAddon.test(m))).toEqual([]);
  });
});
