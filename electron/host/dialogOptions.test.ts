import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openPipelineOptions, pickFileOptions, safeFileName, savePipelineOptions } from './dialogOptions';

const folder = path.resolve('/home/ana/Fluxo/pipelines');

describe('native dialog options', () => {
  it('open: one .fluxo file, starting in the pipelines folder', () => {
    expect(openPipelineOptions(folder)).toEqual({
      title: 'Open a pipeline',
      defaultPath: folder,
      properties: ['openFile'],
      filters: [{ name: 'Fluxo pipeline', extensions: ['fluxo'] }],
    });
  });

  it('save: suggests <name>.fluxo in the pipelines folder', () => {
    const o = savePipelineOptions(folder, 'Breast cancer classifier');
    expect(o.defaultPath).toBe(path.join(folder, 'Breast cancer classifier.fluxo'));
    expect(o.filters).toEqual([{ name: 'Fluxo pipeline', extensions: ['fluxo'] }]);
  });

  it('save: a suggested name cannot move the dialog to another folder', () => {
    expect(path.dirname(savePipelineOptions(folder, '../../etc/passwd').defaultPath)).toBe(folder);
    expect(path.dirname(savePipelineOptions(folder, 'C:\\Windows\\x').defaultPath)).toBe(folder);
  });

  it('pick: filters from the contract extensions, plus all files', () => {
    expect(pickFileOptions(['.csv', '.tsv']).filters).toEqual([
      { name: '.csv, .tsv', extensions: ['csv', 'tsv'] },
      { name: 'All files', extensions: ['*'] },
    ]);
    expect(pickFileOptions([]).filters).toEqual([{ name: 'All files', extensions: ['*'] }]);
  });
});

describe('safeFileName', () => {
  it.each([
    ['My pipeline', 'My pipeline.fluxo'],
    ['study.fluxo', 'study.fluxo'],
    ['a/b\\c:d', 'a b c d.fluxo'],
    ['..', 'pipeline.fluxo'],
    ['.hidden', 'hidden.fluxo'],
    ['', 'pipeline.fluxo'],
    ['line\nbreak', 'line break.fluxo'],
  ])('%j → %j', (input, expected) => expect(safeFileName(input)).toBe(expected));
});
