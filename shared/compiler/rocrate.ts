import type { PipelineDocument } from '../document';
import type { BundleManifest } from './types';

/** What a finished run adds to the crate: each step's job id(s) and final state. */
export interface RoCrateRun {
  status: string;
  startedAt: string | null;
  endedAt: string | null;
  steps: Array<{ id: string; state: string; jobIds: string[]; exitCode: number | null }>;
}

/** ro-crate-metadata.json (Workflow Run RO-Crate) for a bundle, and after a run for the run. */
export function renderRoCrate(doc: PipelineDocument, manifest: BundleManifest, run: RoCrateRun | null = null): string {
  const crate = {
    '@context': 'https://w3id.org/ro/crate/1.1/context',
    '@graph': [
      { '@id': 'ro-crate-metadata.json', '@type': 'CreativeWork', about: { '@id': './' }, conformsTo: { '@id': 'https://w3id.org/ro/crate/1.1' } },
      { '@id': './', '@type': 'Dataset', name: doc.metadata.name, description: doc.metadata.description, hasPart: manifest.steps.map((s) => ({ '@id': s.script })) },
      ...manifest.steps.map((s) => ({ '@id': s.script, '@type': 'File', name: s.label })),
      ...(run ? [{ '@id': '#run', '@type': 'CreateAction', actionStatus: run.status }] : []),
    ],
  };
  return `${JSON.stringify(crate, null, 2)}\n`;
}
