import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { setApi } from '../../api/client';
import { useAppStore } from '../../state/appStore';
import { fakeApi } from '../../testing/fakeApi';
import { block, renderInspector } from './testSetup';

const segment = block({
  id: 'segment',
  title: 'Segment',
  params: [
    { id: 'margin', type: 'number', title: 'Margin', min: 0, max: 50, unit: 'mm', step: 0.5, default: 5, help: 'Space kept around the lesion.' },
    { id: 'count', type: 'integer', title: 'Slices', min: 1, max: 100, default: 12 },
    {
      id: 'plane',
      type: 'choice',
      title: 'Plane',
      default: 'axial',
      choices: [
        { value: 'axial', title: 'Axial', help: 'Top to bottom, as a CT is read.' },
        { value: 'coronal', title: 'Coronal' },
        { value: 'sagittal', title: 'Sagittal' },
      ],
    },
    {
      id: 'colour',
      type: 'choice',
      title: 'Colour map',
      default: 'grey',
      choices: ['grey', 'bone', 'hot', 'jet', 'viridis'].map((v) => ({ value: v, title: v.toUpperCase(), help: v === 'hot' ? 'Black, red, yellow, white.' : undefined })),
    },
    { id: 'outline', type: 'boolean', title: 'Outline lesions', default: true },
    { id: 'note', type: 'string', title: 'Note', required: false, multiline: true },
    { id: 'tag', type: 'string', title: 'Tag', required: false },
    { id: 'scans', type: 'path', title: 'Scans', kind: 'folder', required: false },
    { id: 'table', type: 'path', title: 'Table', extensions: ['.csv'], required: false },
  ],
});

const params = (store: ReturnType<typeof renderInspector>['store']) => store.getState().doc.steps[0]!.params;

describe('param widgets, one per type', () => {
  afterEach(() => {
    cleanup();
    setApi(null);
  });

  it('a number shows its unit, bounds and step, and keeps what is typed until it is a number', () => {
    const { store } = renderInspector([segment]);
    const margin = screen.getByLabelText('Margin') as HTMLInputElement;
    const hint = margin.getAttribute('aria-describedby')!.split(' ').map((id) => document.getElementById(id)?.textContent);
    expect(hint).toContain('From 0 to 50 mm; in steps of 0.5 mm');
    expect(screen.getByText('mm')).toBeTruthy();
    fireEvent.change(margin, { target: { value: '2.' } });
    expect(margin.value).toBe('2.');
    expect(params(store).margin).toBe(2);
    fireEvent.change(margin, { target: { value: '2.x' } });
    expect(margin.value).toBe('2.x');
    expect(params(store).margin).toBe(2);
    expect(margin.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('Margin must be a number, like 12 or 0.5')).toBeTruthy();
    fireEvent.change(margin, { target: { value: '2.75' } });
    expect(params(store).margin).toBe(2.75);
    expect(margin.getAttribute('aria-invalid')).toBe('false');
  });

  it('arrow keys step a number within its bounds', () => {
    const { store } = renderInspector([segment]);
    const margin = screen.getByRole('spinbutton', { name: 'Margin' });
    fireEvent.keyDown(margin, { key: 'ArrowUp' });
    expect(params(store).margin).toBe(5.5);
    act(() => store.getState().setParam('segment', 'margin', 50));
    fireEvent.keyDown(margin, { key: 'ArrowUp' });
    expect(params(store).margin).toBe(50);
  });

  it('a value outside the bounds is refused in words linked to the field', () => {
    renderInspector([segment]);
    const count = screen.getByLabelText('Slices');
    fireEvent.change(count, { target: { value: '500' } });
    expect(count.getAttribute('aria-invalid')).toBe('true');
    const texts = count.getAttribute('aria-describedby')!.split(' ').map((id) => document.getElementById(id)?.textContent);
    expect(texts).toContain('Slices must be at most 100 (it is 500)');
    expect(texts).toContain('From 1 to 100; a whole number');
  });

  it('undo puts the old number back in the field', () => {
    const { store } = renderInspector([segment]);
    const count = screen.getByLabelText('Slices') as HTMLInputElement;
    fireEvent.change(count, { target: { value: '30' } });
    act(() => store.getState().setParam('segment', 'count', 12));
    expect(count.value).toBe('12');
  });

  it('up to four choices are a radio group named by the param, each with its help', () => {
    const { store } = renderInspector([segment]);
    const group = screen.getByRole('group', { name: 'Plane' });
    const axial = within(group).getByRole('radio', { name: /Axial/ }) as HTMLInputElement;
    expect(axial.checked).toBe(true);
    expect(axial.getAttribute('aria-describedby')!.split(' ').map((id) => document.getElementById(id)?.textContent)).toContain('Top to bottom, as a CT is read.');
    fireEvent.click(within(group).getByRole('radio', { name: 'Sagittal' }));
    expect(params(store).plane).toBe('sagittal');
  });

  it('five or more choices are a select, and the chosen one explains itself', () => {
    const { store } = renderInspector([segment]);
    const select = screen.getByRole('combobox', { name: 'Colour map' });
    fireEvent.change(select, { target: { value: 'hot' } });
    expect(params(store).colour).toBe('hot');
    expect(screen.getByText('Black, red, yellow, white.')).toBeTruthy();
  });

  it('a boolean is a checkbox; text is one line or a text area when the definition says multiline', () => {
    const { store } = renderInspector([segment]);
    fireEvent.click(screen.getByRole('checkbox', { name: 'Outline lesions' }));
    expect(params(store).outline).toBe(false);
    const note = screen.getByLabelText('Note (optional)');
    expect(note.tagName).toBe('TEXTAREA');
    fireEvent.change(note, { target: { value: 'line 1\nline 2' } });
    expect(params(store).note).toBe('line 1\nline 2');
    expect(screen.getByLabelText('Tag (optional)').tagName).toBe('INPUT');
  });

  it('a folder param asks the in-app dialog for a folder when the host has no native dialogs', async () => {
    const { store } = renderInspector([segment]);
    fireEvent.click(screen.getByRole('button', { name: 'Browse for Scans' }));
    const request = useAppStore.getState().fileDialog!;
    expect(request.mode).toBe('folder');
    act(() => useAppStore.getState().answerPath('/data/scans'));
    await waitFor(() => expect(params(store).scans).toBe('/data/scans'));
  });

  it('with native dialogs a folder param uses dialogs.pickFolder and a file param dialogs.pickFile with its extensions', async () => {
    const fake = fakeApi({ dialogs: { pickFolder: async () => ({ ok: true, value: '/home/ana/ct' }), pickFile: async () => ({ ok: true, value: '/home/ana/t.csv' }) } });
    setApi(fake.api);
    const { store } = renderInspector([segment], { host: { kind: 'electron', nativeDialogs: true, version: 't', platform: 'linux', cores: 4, pipelinesFolder: '/p' } });
    fireEvent.click(screen.getByRole('button', { name: 'Browse for Scans' }));
    await waitFor(() => expect(params(store).scans).toBe('/home/ana/ct'));
    fireEvent.click(screen.getByRole('button', { name: 'Browse for Table' }));
    await waitFor(() => expect(params(store).table).toBe('/home/ana/t.csv'));
    expect(fake.calls.find((c) => c.channel === 'dialogs.pickFile')!.args).toEqual([['.csv']]);
  });

  it('on a cluster target a path can be picked from the cluster with the keyboard-usable remote browser', async () => {
    const listings: Record<string, unknown> = {
      root: { folder: '/home/ana/fluxo-runs', parent: '/home/ana', entries: [{ name: 'cohort', path: '/home/ana/fluxo-runs/cohort', kind: 'folder', size: 0 }, { name: 'notes.txt', path: '/home/ana/fluxo-runs/notes.txt', kind: 'file', size: 10 }] },
      cohort: { folder: '/home/ana/fluxo-runs/cohort', parent: '/home/ana/fluxo-runs', entries: [{ name: 'a.csv', path: '/home/ana/fluxo-runs/cohort/a.csv', kind: 'file', size: 2048 }] },
    };
    const fake = fakeApi({ remote: { browse: async (_t: string, p: string | null) => ({ ok: true, value: (p === null ? listings.root : listings.cohort) as never }) } });
    setApi(fake.api);
    const { store } = renderInspector([segment], { targetId: 'lab' });
    fireEvent.click(screen.getByRole('button', { name: 'Browse Test cluster (loopback) for Table' }));
    const dialog = await screen.findByRole('dialog', { name: 'Table on Test cluster (loopback)' });
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Folder cohort' }));
    // Only files with the param's extensions are offered.
    const file = await within(dialog).findByRole('button', { name: /a\.csv/ });
    expect(within(dialog).queryByText('notes.txt')).toBeNull();
    fireEvent.click(file);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Choose' }));
    await waitFor(() => expect(params(store).table).toBe('/home/ana/fluxo-runs/cohort/a.csv'));
    expect(fake.calls.filter((c) => c.channel === 'remote.browse').map((c) => c.args)).toEqual([
      ['lab', null],
      ['lab', '/home/ana/fluxo-runs/cohort'],
    ]);
  });

  it('the remote browser says why a folder cannot be listed', async () => {
    setApi(fakeApi({ remote: { browse: async () => ({ ok: false, error: { code: 'E521', message: 'test cluster: could not list /x: permission denied.', hint: 'Choose another folder.' } }) } }).api);
    renderInspector([segment], { targetId: 'lab' });
    fireEvent.click(screen.getByRole('button', { name: 'Browse Test cluster (loopback) for Scans' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Test cluster: could not list /x: permission denied. Choose another folder.');
  });

  it('every input carries data-field with its param id inside the step element', () => {
    renderInspector([segment], { targetId: 'lab' });
    const stepEl = document.querySelector('[data-step="segment"]')!;
    for (const id of ['margin', 'count', 'plane', 'colour', 'outline', 'note', 'tag', 'scans', 'table', 'resources.cpus', 'resources.memoryMb', 'resources.timeMinutes', 'resources.gpus', 'resources.partition']) {
      expect(stepEl.querySelector(`[data-field="${id}"]`), id).not.toBeNull();
    }
    for (const input of stepEl.querySelectorAll('input, select, textarea')) {
      const labelled = input.getAttribute('aria-label') || (input.id && document.querySelector(`label[for="${input.id}"]`)) || input.closest('fieldset')?.querySelector('legend');
      expect(labelled, input.outerHTML).toBeTruthy();
    }
  });
});
