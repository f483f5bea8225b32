import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { setApi } from '../../api/client';
import { FileDialog } from '../../components/FileDialog';
import { useAppStore } from '../../state/appStore';
import { fakeApi } from '../../testing/fakeApi';

describe('the in-app file dialog in folder mode', () => {
  afterEach(() => {
    cleanup();
    setApi(null);
  });

  it('lists only folders and answers the folder it shows, or a sub-folder opened from it', async () => {
    const listings: Record<string, unknown> = {
      '/data': { folder: '/data', parent: '/', entries: [{ name: 'ct', path: '/data/ct', kind: 'folder' }, { name: 'a.fluxo', path: '/data/a.fluxo', kind: 'file' }] },
      '/data/ct': { folder: '/data/ct', parent: '/data', entries: [] },
    };
    setApi(fakeApi({ documents: { browse: async (folder: string | null) => ({ ok: true, value: listings[folder ?? '/data'] as never }) } }).api);
    render(<FileDialog />);
    let answer: Promise<string | null> = Promise.resolve(null);
    act(() => {
      answer = useAppStore.getState().askPath({ mode: 'folder', title: 'Choose scans', folder: '/data' });
    });
    await screen.findByRole('button', { name: 'Folder ct' });
    expect(screen.queryByText('a.fluxo')).toBeNull();
    expect((screen.getByLabelText('Folder path') as HTMLInputElement).value).toBe('/data');
    fireEvent.click(screen.getByRole('button', { name: 'Folder ct' }));
    await waitFor(() => expect((screen.getByLabelText('Folder path') as HTMLInputElement).value).toBe('/data/ct'));
    expect(screen.getByText('No sub-folders here.')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Choose this folder' }));
    expect(await answer).toBe('/data/ct');
  });
});
