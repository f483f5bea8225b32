import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openableFileFromArgv, openFileEvents, savePackOptions, withPackFilter } from './openFiles';

describe('files the system asks Fluxo to open', () => {
  it('finds a pipeline or a workshop pack in argv, absolute, skipping the app folder and switches', () => {
    expect(openableFileFromArgv(['/opt/Fluxo/fluxo-app', '--no-sandbox', 'class.FLUXOPACK'], '/home/ana')).toBe(path.resolve('/home/ana', 'class.FLUXOPACK'));
    expect(openableFileFromArgv(['electron', '.', '/tmp/a.fluxo'], '/x')).toBe('/tmp/a.fluxo');
    expect(openableFileFromArgv(['electron', '.', 'notes.txt', '--flag=x.fluxo'], '/x')).toBeNull();
  });

  it('asks the running window to open the file through one event', () => {
    expect(openFileEvents('/tmp/a.fluxo')).toEqual([{ type: 'app.openFile', path: '/tmp/a.fluxo' }]);
  });

  it('offers packs first in the open dialog and saves packs with their own extension', () => {
    expect(withPackFilter({ filters: [{ name: 'Fluxo pipeline', extensions: ['fluxo'] }] }).filters.map((f) => f.extensions)).toEqual([['fluxo', 'fluxopack'], ['fluxo']]);
    expect(savePackOptions('/p', 'Class 1/2').defaultPath).toBe(path.join('/p', 'Class 1 2.fluxopack'));
    expect(savePackOptions('/p', 'x.fluxopack').defaultPath).toBe(path.join('/p', 'x.fluxopack'));
  });
});
