import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { RunDocument, RunRecord } from '../../shared/api';
import { ErrorCode, fail } from '../../shared/api';
import { parseDocument } from '../../shared/document';

/** The file every run folder keeps: the pipeline exactly as it ran (see RunManager.start). */
export const RUN_PIPELINE = 'pipeline.fluxo';

/**
 * A past run's pipeline as it ran, to reopen it read-only. The copy in the run folder is the
 * truth: the .fluxo the run came from may have changed (or gone) since.
 */
export async function readRunDocument(get: (runId: string) => Promise<RunRecord>, runId: string): Promise<RunDocument> {
  const run = await get(runId);
  let text: string;
  try {
    text = await fs.readFile(path.join(run.runDir, RUN_PIPELINE), 'utf8');
  } catch {
    fail(ErrorCode.RunPipelineMissing, `run ${runId} kept no copy of its pipeline`, 'Runs made by older versions of Fluxo cannot be reopened; their results are still in the run folder.');
  }
  const parsed = parseDocument(text);
  if (!parsed.ok) fail(ErrorCode.RunPipelineMissing, `the pipeline kept by run ${runId} cannot be read: ${parsed.message}`, parsed.hint);
  return { run, document: parsed.document };
}
