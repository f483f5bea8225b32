import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OutputFile, RunRecord } from '../../shared/api';
import { ErrorCode } from '../../shared/api';
import { setApi } from '../api/client';
import { useAppStore } from '../state/appStore';
import { fakeApi } from '../testing/fakeApi';
import { RunActions, defaultExportPath, withFormat } from './RunActions';
import { withCsp } from './viewers/ReportViewer';
import TableViewer from './viewers/TableViewer';

const host = { kind: 'browser' as const, nativeDialogs: false, version: '0.1.0', platform: 'linux', cores: 4, pipelinesFolder: '/home/u/Fluxo/pipelines' };
const run: RunRecord = {
  id: 'r1', pipelineName: 'P', pipelinePath: null, targetId: 'local', status: 'completed', runDir: '/home/u/Fluxo/runs/r1',
  createdAt: '2026-01-01T00:00:00Z', endedAt: '2026-01-01T00:01:00Z', python: null, error: null, steps: [],
};


beforeEach(() => {
  useAppStore.setState({ toasts: [] });
  useAppStore.getState().setLoaded({ host, catalog: { blocks: [], problems: [] }, targets: [], examples: [] });
});
afterEach(() => {
  cleanup();
  setApi(null);
});

describe('run actions', () => {
  it('in a browser tab, "Open the folder" shows the run folder with a Copy button instead', async () => {
    const fake = fakeApi();
    setApi(fake.api);
    render(<RunActions run={run} />);
    fireEvent.click(screen.getByRole('button', { name: 'Open the folder' }));
    const status = await screen.findByRole('status');
    expect(status.textContent).toContain('cannot open folders');
    expect(within(status).getByText('/home/u/Fluxo/runs/r1')).toBeTruthy();
    expect(within(status).getByRole('button', { name: 'Copy the path' })).toBeTruthy();
    expect(fake.calls.map((c) => c.channel)).toEqual(['runs.openFolder']);
  });

  it('exports to the path in the dialog with the chosen format, and says where', async () => {
    const fake = fakeApi({ runs: { export: async (_id: string, dest: string) => ({ ok: true, value: { path: dest, format: 'tar.gz' as const, files: 12, bytes: 3000 } }) } });
    setApi(fake.api);
    render(<RunActions run={run} />);
    fireEvent.click(screen.getByRole('button', { name: 'Export…' }));
    const dialog = screen.getByRole('dialog', { name: 'Export the results' });
    const path = within(dialog).getByLabelText('Save to') as HTMLInputElement;
    expect(path.value).toBe('/home/u/Fluxo/exports/r1.zip');
    fireEvent.click(within(dialog).getByRole('radio', { name: /tar\.gz/ }));
    expect(path.value).toBe('/home/u/Fluxo/exports/r1.tar.gz');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Export' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(fake.calls.at(-1)).toEqual({ channel: 'runs.export', args: ['r1', '/home/u/Fluxo/exports/r1.tar.gz'] });
    expect(useAppStore.getState().toasts.at(-1)?.message).toBe('12 files written to /home/u/Fluxo/exports/r1.tar.gz');
  });

  it('keeps the dialog open with the reason when the export fails', async () => {
    setApi(fakeApi({ runs: { export: async () => ({ ok: false, error: { code: ErrorCode.ExportFailed, message: 'could not write /x.zip: no space left', hint: 'Free some space or choose another folder.' } }) } }).api);
    render(<RunActions run={run} />);
    fireEvent.click(screen.getByRole('button', { name: 'Export…' }));
    fireEvent.click(screen.getByRole('button', { name: 'Export' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Could not write /x.zip: no space left Free some space or choose another folder.');
    expect(screen.getByRole('dialog')).toBeTruthy();
  });

  it('derives export paths from the Fluxo home and swaps the extension with the format', () => {
    expect(defaultExportPath('C:\\Users\\a\\Fluxo\\pipelines', 'x', 'r2', 'zip')).toBe('C:\\Users\\a\\Fluxo\\exports\\r2.zip');
    expect(withFormat('/a/b.tar.gz', 'zip')).toBe('/a/b.zip');
    expect(withFormat('/a/b', 'tar.gz')).toBe('/a/b.tar.gz');
  });
});

describe('table viewer', () => {
  const rows = Array.from({ length: 120 }, (_, i) => `${i},${(i * 37) % 120},${i % 2 ? 'b' : 'a'}`);
  const csv = `id,score,group\n${rows.join('\n')}\n`;
  const output: OutputFile = { stepId: 's', port: 'table', format: 'table.csv', path: 'steps/s/t.csv', task: null, exists: true, size: csv.length };

  function serve(text: string) {
    // Serves the file in pieces, as the backend does.
    return fakeApi({
      runs: {
        readRange: async (_id: string, _p: string, offset: number, length: number) => {
          const bytes = new TextEncoder().encode(text);
          const piece = bytes.slice(offset, offset + length);
          return { ok: true, value: { path: _p, size: bytes.length, offset, base64: Buffer.from(piece).toString('base64'), eof: offset + piece.length >= bytes.length } };
        },
      },
    });
  }

  it('sorts by a numeric column from the header, with aria-sort, and pages 50 rows at a time', async () => {
    setApi(serve(csv).api);
    render(<TableViewer runId="r1" output={output} title="Table" />);
    expect(await screen.findByText('120 rows. Showing rows 1 to 50.')).toBeTruthy();
    const header = screen.getByRole('columnheader', { name: /score/ });
    expect(header.getAttribute('aria-sort')).toBe('none');
    fireEvent.click(within(header).getByRole('button'));
    expect(header.getAttribute('aria-sort')).toBe('ascending');
    const firstScores = () => screen.getAllByRole('row').slice(1, 4).map((r) => r.children[1]?.textContent);
    expect(firstScores()).toEqual(['0', '1', '2']);
    fireEvent.click(within(header).getByRole('button'));
    expect(header.getAttribute('aria-sort')).toBe('descending');
    expect(firstScores()).toEqual(['119', '118', '117']);
    fireEvent.click(screen.getByRole('button', { name: 'Last' }));
    expect(screen.getByText('Page 3 of 3')).toBeTruthy();
    expect(screen.getAllByRole('row')).toHaveLength(21);
  });

  it('reads a large file only up to the cap, says so, and reads more on request', async () => {
    const big = `id,text\n${Array.from({ length: 60000 }, (_, i) => `${i},${'x'.repeat(40)}`).join('\n')}\n`;
    const fake = serve(big);
    setApi(fake.api);
    render(<TableViewer runId="r1" output={{ ...output, size: big.length }} title="Big" />);
    const note = await screen.findByText(/rows read so far \(2\.0 MB of 2\.7 MB\)/);
    expect(note).toBeTruthy();
    expect(fake.calls.filter((c) => c.channel === 'runs.readRange').every((c) => (c.args[3] as number) <= 512 * 1024)).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Read more rows' }));
    expect(await screen.findByText('60000 rows. Showing rows 1 to 50.')).toBeTruthy();
  });

  it('draws loss and accuracy charts above a training history', async () => {
    setApi(serve('epoch,train_loss,validation_accuracy\n1,0.9,0.5\n2,0.5,0.8\n').api);
    render(<TableViewer runId="r1" output={output} title="Training curves" />);
    expect(await screen.findByRole('group', { name: 'Loss per epoch (Training curves)' })).toBeTruthy();
    expect(screen.getByRole('group', { name: 'Accuracy per epoch (Training curves)' })).toBeTruthy();
    expect(screen.getByText('2 epochs; last values: train_loss 0.5')).toBeTruthy();
  });
});

describe('report frame', () => {
  it('puts a strict CSP first in the head, keeping the doctype first so the report stays in standards mode', () => {
    const html = withCsp('<!DOCTYPE html><html><head><title>R</title></head><body><img src="https://x.example/a.png"></body></html>');
    expect(html.startsWith('<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:')).toBe(true);
    expect(withCsp('<p>bare</p>')).toMatch(/^<meta http-equiv="Content-Security-Policy"[^>]+><p>bare<\/p>$/);
    expect(withCsp('<!doctype html><p>x</p>')).toMatch(/^<!doctype html><meta /);
  });
});
