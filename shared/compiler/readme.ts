import type { PipelineDocument } from '../document';
import type { TargetProfile } from '../targets';
import { commentText } from './quote';
import type { BundleManifest } from './types';

/** README.txt of a bundle: what to copy where and how to run it without Fluxo. */
export function renderBundleReadme(doc: PipelineDocument, manifest: BundleManifest, target: TargetProfile): string {
  const lines = [
    `Pipeline: ${commentText(doc.metadata.name)}`,
    `Compiled by Fluxo for: ${commentText(target.title)} (${target.id})`,
    '',
    target.kind === 'slurm' ? 'Copy this folder to the cluster and run: bash submit.sh' : 'Run: bash run.sh',
    '',
    'Steps:',
    ...manifest.steps.map((s) => `  ${s.id}: ${commentText(s.label)} (${s.block.id} v${s.block.version})`),
    '',
  ];
  return lines.join('\n');
}
