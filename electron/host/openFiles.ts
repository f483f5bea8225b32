import path from 'node:path';
import type { FluxoEvent } from '../../shared/api';
import type { FileFilter } from './dialogOptions';
import { safeFileName } from './dialogOptions';

/** What the system may hand Fluxo to open: pipelines and instructors' workshop packs. */
export const OPENABLE_EXTENSIONS = ['.fluxo', '.fluxopack'] as const;

export const PACK_FILTER: FileFilter = { name: 'Fluxo workshop pack', extensions: ['fluxopack'] };
export const OPENABLE_FILTER: FileFilter = { name: 'Fluxo pipeline or workshop pack', extensions: ['fluxo', 'fluxopack'] };

export function isOpenableFile(file: string): boolean {
  const lower = file.toLowerCase();
  return OPENABLE_EXTENSIONS.some((x) => lower.endsWith(x));
}

/**
 * The pipeline or pack named on a command line (a double-click, "Open with", a second launch),
 * made absolute against `cwd`; flags and Chromium's switches are skipped.
 */
export function openableFileFromArgv(argv: readonly string[], cwd: string): string | null {
  // argv[0] is the executable; in development argv[1] is the app folder (".").
  for (const arg of argv.slice(1)) {
    if (arg.startsWith('-')) continue;
    if (isOpenableFile(arg)) return path.resolve(cwd, arg);
  }
  return null;
}

/** The event batch that asks a running window to open a file (it offers to save its changes first). */
export function openFileEvents(file: string): FluxoEvent[] {
  return [{ type: 'app.openFile', path: file }];
}

/** Open dialog options that also offer workshop packs, first in the list of filters. */
export function withPackFilter<T extends { filters: FileFilter[] }>(options: T): T {
  return { ...options, filters: [OPENABLE_FILTER, ...options.filters] };
}

export function openPackOptions(folder: string) {
  return { title: 'Open a workshop pack', defaultPath: folder, properties: ['openFile' as const], filters: [PACK_FILTER] };
}

export function savePackOptions(folder: string, suggestedName: string) {
  const base = safeFileName(suggestedName).replace(/\.fluxo$/i, '');
  return {
    title: 'Export workshop pack',
    defaultPath: path.join(folder, base.toLowerCase().endsWith('.fluxopack') ? base : `${base}.fluxopack`),
    filters: [PACK_FILTER],
    properties: ['createDirectory' as const, 'showOverwriteConfirmation' as const],
  };
}
