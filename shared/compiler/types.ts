import type { PythonModule, Resources } from '../catalog';
import type { Problem } from '../validate';

export const BUNDLE_FORMAT = 'fluxo-bundle';
export const BUNDLE_VERSION = 1;

/** A text file of the bundle; paths are relative to the bundle folder, with forward slashes. */
export interface BundleFile {
  path: string;
  content: string;
  executable: boolean;
}

/** A file shipped with Fluxo (a block's script, the Python runtime), copied into the bundle by the backend. */
export interface BundleAsset {
  /** Source, relative to the resources folder, with forward slashes, e.g. "blocks/report/report.py". */
  from: string;
  /** Destination inside the bundle. */
  path: string;
}

/**
 * Helpers every Python block may import (`import fluxo_block`), shipped once per bundle in
 * lib/python and put first on PYTHONPATH by the step scripts of Python blocks.
 */
export const PYTHON_RUNTIME = { from: 'runtime/python', to: 'lib/python', files: ['fluxo_block.py'] } as const;

export interface ManifestOutput {
  port: string;
  format: string;
  /** Relative to the run folder. */
  path: string;
}

export interface ManifestStep {
  id: string;
  label: string;
  block: { id: string; version: number; title: string };
  /** Relative to the bundle folder. */
  script: string;
  dependsOn: string[];
  outputs: ManifestOutput[];
  resources: Resources;
}

export interface PythonRequirement extends PythonModule {
  /** Step ids that import it, so a message can say which step needs what. */
  usedBy: string[];
}

export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  version: typeof BUNDLE_VERSION;
  pipeline: { name: string };
  target: string;
  /** Step ids in the order the entry script runs them. */
  order: string[];
  steps: ManifestStep[];
  python: { minVersion: string; modules: PythonRequirement[] } | null;
}

export interface Bundle {
  manifest: BundleManifest;
  /** Generated files, sorted by path; manifest.json included. */
  files: BundleFile[];
  assets: BundleAsset[];
}

export type CompileResult = { ok: true; bundle: Bundle; warnings: Problem[] } | { ok: false; problems: Problem[] };

/** Environment variables every generated script understands. */
export const ENV = {
  run: 'FLUXO_RUN',
  bundle: 'FLUXO_BUNDLE',
  python: 'FLUXO_PYTHON',
} as const;
