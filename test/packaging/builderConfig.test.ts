// @vitest-environment node
// electron-builder's configuration, checked offline against the schema electron-builder itself
// ships (app-builder-lib/scheme.json), plus what Fluxo relies on: the .fluxo association, the
// three platforms, icons that exist at the right sizes, and a `main` the build really produces.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(__dirname, '../..');
const require = createRequire(import.meta.url);
/** The parts of the configuration this test reads; the schema check covers the rest. */
interface BuilderConfig {
  appId: string;
  productName: string;
  directories: { output: string };
  files: string[];
  extraResources: Array<{ from: string; to: string; filter: string[] }>;
  fileAssociations: unknown[];
  publish: unknown;
  linux: { target: string[]; category: string; maintainer: string; icon: string; mimeTypes: string[] };
  win: { target: string[]; icon: string };
  mac: { target: string[]; category: string; icon: string };
}
const config = parse(readFileSync(path.join(repo, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
const pkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { main: string };
const schema = JSON.parse(readFileSync(require.resolve('app-builder-lib/scheme.json'), 'utf8')) as object;
const validateConfig = new Ajv({ allErrors: true, strict: false }).compile(schema);

/** Width and height from a PNG's IHDR chunk; throws when the file is not a PNG. */
function pngSize(file: string): { width: number; height: number } {
  const b = readFileSync(file);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (!b.subarray(0, 8).equals(signature) || b.toString('ascii', 12, 16) !== 'IHDR') throw new Error(`${file} is not a PNG`);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

describe('electron-builder.yml', () => {
  it('is valid for the installed electron-builder (its own JSON schema, no build)', () => {
    const valid = validateConfig(config);
    expect(validateConfig.errors ?? [], JSON.stringify(validateConfig.errors, null, 2)).toEqual([]);
    expect(valid).toBe(true);
  });

  it('rejects a misspelt key, so the schema check above has teeth', () => {
    expect(validateConfig({ ...config, fileAsociations: [] })).toBe(false);
    expect(validateConfig({ ...config, linux: { ...config.linux, target: 42 } })).toBe(false);
  });

  it('names the app and writes installers to release/', () => {
    expect(config.appId).toBe('app.fluxo.desktop');
    expect(config.productName).toBe('Fluxo');
    expect(config.directories.output).toBe('release');
  });

  it('associates .fluxo files and .fluxopack workshop packs with Fluxo as their editor', () => {
    expect(config.fileAssociations).toEqual([
      expect.objectContaining({ ext: 'fluxo', name: 'Fluxo pipeline', role: 'Editor', mimeType: 'application/x-fluxo+json' }),
      expect.objectContaining({ ext: 'fluxopack', name: 'Fluxo workshop pack', role: 'Editor', mimeType: 'application/x-fluxo-pack' }),
    ]);
    expect(config.linux.mimeTypes).toContain('application/x-fluxo+json');
    expect(config.linux.mimeTypes).toContain('application/x-fluxo-pack');
  });

  it('builds AppImage and deb on Linux, an NSIS installer on Windows, a dmg on macOS', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.linux.category).toBe('Science');
    expect(config.linux.maintainer).toMatch(/<.+@.+>/);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.mac.target).toEqual(['dmg']);
    expect(config.mac.category).toMatch(/^public\.app-category\./);
  });

  it('ships the bundles, not the sources, and the resources outside app.asar', () => {
    expect(config.files).toEqual(expect.arrayContaining(['package.json', 'dist/electron/**', 'dist/renderer/**']));
    for (const pattern of config.files) expect(pattern).not.toMatch(/^(electron|shared|renderer|src)\//);
    expect(config.extraResources).toEqual([expect.objectContaining({ from: 'resources', to: 'resources' })]);
    const filter = config.extraResources[0]?.filter ?? [];
    // Every folder the app reads at run time is packaged; icons are only used by the build itself.
    const folders = readdirSync(path.join(repo, 'resources'), { withFileTypes: true })
      .filter((d) => d.isDirectory() && d.name !== 'icons')
      .map((d) => d.name);
    expect(folders).toEqual(expect.arrayContaining(['blocks', 'examples', 'targets', 'schema', 'runtime']));
    for (const folder of folders) expect(filter, `resources/${folder} is not packaged`).toContain(`${folder}/**`);
    expect(config.publish).toBeNull();
  });

  it('points at icons that exist: PNGs of 256, 512 and 1024 pixels and a Windows .ico', () => {
    const icons = path.join(repo, 'resources/icons');
    expect(config.linux.icon).toBe('resources/icons');
    expect(pngSize(path.join(icons, '256x256.png'))).toEqual({ width: 256, height: 256 });
    expect(pngSize(path.join(icons, '512x512.png'))).toEqual({ width: 512, height: 512 });
    // macOS wants at least 512x512 to make its .icns.
    expect(pngSize(path.join(repo, config.mac.icon))).toEqual({ width: 1024, height: 1024 });
    const ico = readFileSync(path.join(repo, config.win.icon));
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2)]).toEqual([0, 1]); // ICONDIR: reserved 0, type 1 = icon
    const entries = ico.readUInt16LE(4);
    const sizes = Array.from({ length: entries }, (_, i) => ico.readUInt8(6 + 16 * i) || 256);
    expect(sizes).toContain(256);
    expect(sizes).toContain(16);
  });

  it("starts the app at package.json's main, which scripts/build-node.mjs produces", () => {
    expect(pkg.main).toBe('dist/electron/main.cjs');
    const builder = readFileSync(path.join(repo, 'scripts/build-node.mjs'), 'utf8');
    expect(builder).toContain("outdirFlag === -1 ? 'dist'");
    expect(builder).toContain("['electron/main.ts', 'electron/main.cjs']");
    expect(builder).toContain("['electron/preload.ts', 'electron/preload.cjs']");
    // main.ts loads the preload from beside itself and the renderer from dist/renderer.
    const main = readFileSync(path.join(repo, 'electron/main.ts'), 'utf8');
    expect(main).toContain("path.join(__dirname, 'preload.cjs')");
    expect(main).toContain("path.join(__dirname, '..', 'renderer')");
    expect(pkg.main.startsWith('dist/electron/')).toBe(true);
    expect(config.files).toContain('dist/electron/**');
  });
});
