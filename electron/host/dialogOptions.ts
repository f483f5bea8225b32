import path from 'node:path';

/**
 * Options for Electron's native open/save dialogs, built here so main.ts only forwards them.
 * Shapes match Electron's OpenDialogOptions / SaveDialogOptions structurally.
 */

export interface FileFilter {
  name: string;
  extensions: string[];
}

export const PIPELINE_FILTER: FileFilter = { name: 'Fluxo pipeline', extensions: ['fluxo'] };

export function openPipelineOptions(pipelinesFolder: string) {
  return {
    title: 'Open a pipeline',
    defaultPath: pipelinesFolder,
    properties: ['openFile' as const],
    filters: [PIPELINE_FILTER],
  };
}

/**
 * The save dialog starts in the pipelines folder with a safe file name: whatever the renderer
 * suggests is reduced to a base name (no folders, no separators) ending in .fluxo.
 */
export function savePipelineOptions(pipelinesFolder: string, suggestedName: string) {
  return {
    title: 'Save the pipeline',
    defaultPath: path.join(pipelinesFolder, safeFileName(suggestedName)),
    filters: [PIPELINE_FILTER],
    properties: ['createDirectory' as const, 'showOverwriteConfirmation' as const],
  };
}

/** Picks an input file; `extensions` come from the contract (validated as `.csv`-like). */
export function pickFileOptions(extensions: readonly string[]) {
  const exts = extensions.map((e) => e.replace(/^\./, '')).filter((e) => /^[a-z0-9]+$/.test(e));
  const filters: FileFilter[] = exts.length > 0 ? [{ name: exts.map((e) => `.${e}`).join(', '), extensions: exts }] : [];
  filters.push({ name: 'All files', extensions: ['*'] });
  return { title: 'Choose a file', properties: ['openFile' as const], filters };
}

export function safeFileName(suggested: string): string {
  const base = Array.from(suggested, (ch) => (ch.charCodeAt(0) < 32 || '\\/:*?"<>|'.includes(ch) ? ' ' : ch))
    .join('')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^\.+/, '');
  const name = base === '' ? 'pipeline' : base.slice(0, 120);
  return name.toLowerCase().endsWith('.fluxo') ? name : `${name}.fluxo`;
}
