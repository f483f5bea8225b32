import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SshPrompt, TargetEntry, TargetsOverview } from '../../shared/api';
import type { SlurmProfile, TargetProfile } from '../../shared/targets';
import { parseProfile } from '../../shared/targets';
import { setApi } from '../api/client';
import { Modal } from '../components/Modal';
import { useAppStore } from '../state/appStore';
import { fakeApi } from '../testing/fakeApi';
import { LoginPrompts, oldKnownHostsLine } from './LoginPrompts';
import { emptyForm, formFromProfile, freeId, profileFromForm, slugify, validateForm } from './profileForm';
import { RunOptionsControl } from './RunOptions';
import { SettingsScreen } from './SettingsScreen';
import { connectPrompts, useSettingsStore } from './settingsStore';

const texts = import.meta.glob('../../resources/targets/*.yaml', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
const shipped: TargetEntry[] = Object.entries(texts).map(([file, text]) => {
  const parsed = parseProfile({ file, source: 'shipped', text });
  if (!parsed.ok) throw new Error(file);
  return { profile: parsed.profile, source: 'shipped', file: `/app/resources/targets/${file.split('/').at(-1)}`, overrides: null };
});
const lab = shipped.find((e) => e.profile.id === 'lab')!.profile as SlurmProfile;
const mine: TargetEntry = { profile: { ...lab, id: 'uni', title: 'University cluster', login: { ...lab.login, user: 'ana', hosts: ['hpc.uni.example'] } }, source: 'user', file: '/home/ana/Fluxo/targets/uni.yaml', overrides: null };

function overview(entries: TargetEntry[], secretsUnavailable: string | null = 'a browser window has no system keychain'): TargetsOverview {
  return { entries, problems: [], userFolder: '/home/ana/Fluxo/targets', secretsUnavailable };
}

function resetStores() {
  useSettingsStore.setState({ overview: null, tests: {}, prompt: null, hostKeyChanged: null, returnTo: 'start' });
  useAppStore.setState({ runOptions: {}, modal: null, toasts: [] });
}

afterEach(() => {
  cleanup();
  setApi(null);
});
beforeEach(resetStores);

describe('profile form', () => {
  it('makes ids from names and avoids ones in use', () => {
    expect(slugify('CESGA FinisTerrae III (mía)')).toBe('cesga-finisterrae-iii-mia');
    expect(freeId('lab', new Set(['lab', 'lab-2']))).toBe('lab-3');
  });

  it('a form started from a shipped profile keeps its partitions and changes only the login', () => {
    const form = { ...formFromProfile(lab, undefined, { id: 'lab-mine', title: 'Mine', baseId: 'lab' }), user: 'hpcotp', port: '2223', auth: ['keyboard-interactive' as const, 'password' as const] };
    expect(validateForm(form, new Set())).toEqual({});
    const p = profileFromForm(form, lab);
    expect(p).toMatchObject({ id: 'lab-mine', title: 'Mine', login: { user: 'hpcotp', port: 2223, auth: ['keyboard-interactive', 'password'] }, partitions: lab.partitions });
  });

  it('a blank profile knows only what was typed, and says what is wrong with each field', () => {
    const bad = { ...emptyForm(), id: 'Bad Id', host: 'no spaces here', port: '70000', account: 'two words' };
    expect(validateForm(bad, new Set())).toMatchObject({ id: 'errors.id', host: 'errors.host', port: 'errors.port', title: 'errors.required', defaultPartition: 'errors.partition', account: 'errors.slurmName' });
    const ok = { ...emptyForm(), id: 'uni', title: 'Uni', host: 'hpc.uni.example', defaultPartition: 'short' };
    expect(validateForm(ok, new Set(['uni']))).toMatchObject({ id: 'errors.idTaken' });
    const p = profileFromForm(ok, null);
    expect(p).toMatchObject({ partitions: [{ name: 'short', maxTimeMinutes: null }], account: { required: 'unknown' }, defaults: { cpuPartition: 'short' } });
  });
});

describe('login dialogs', () => {
  const hostKey: SshPrompt = { id: 'p1', kind: 'hostKey', host: '127.0.0.1', port: 2223, keyType: 'ssh-ed25519', fingerprint: 'SHA256:abcdefXYZ' };
  const password: SshPrompt = { id: 'p2', kind: 'secret', secretKind: 'password', target: 'hpcotp@127.0.0.1:2223', prompt: 'x', instructions: '', echo: false, isPassword: true, canRemember: false };

  it('first contact shows host, key type and SHA256 fingerprint, focuses Cancel, and Trust and connect answers yes', async () => {
    const fake = fakeApi({ prompts: { answer: async (id) => ({ ok: true, value: { id: id as string } }), pending: async () => ({ ok: true, value: null }) } });
    setApi(fake.api);
    const off = connectPrompts();
    render(<LoginPrompts />);
    act(() => fake.emit([{ type: 'ssh.promptRequested', prompt: hostKey }]));
    const dialog = await screen.findByRole('dialog', { name: 'First connection to 127.0.0.1:2223' });
    expect(dialog.textContent).toContain('ssh-ed25519');
    expect(within(dialog).getByTestId('host-key-fingerprint').textContent).toBe('SHA256:abcdefXYZ');
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Cancel' }));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Trust and connect' }));
    await waitFor(() => expect(fake.calls.find((c) => c.channel === 'prompts.answer')?.args).toEqual(['p1', { kind: 'hostKey', trust: true }]));
    expect(screen.queryByRole('dialog')).toBeNull();
    off();
  });

  it('the password is masked, sent once and not kept; Remember is offered only where secrets can be kept', async () => {
    const fake = fakeApi({ prompts: { answer: async (id) => ({ ok: true, value: { id: id as string } }), pending: async () => ({ ok: true, value: null }) } });
    setApi(fake.api);
    render(<LoginPrompts />);
    act(() => useSettingsStore.getState().setPrompt(password));
    const dialog = await screen.findByRole('dialog', { name: 'Password for hpcotp@127.0.0.1:2223' });
    const input = within(dialog).getByLabelText('Password') as HTMLInputElement;
    expect(input.type).toBe('password');
    expect(within(dialog).queryByRole('checkbox')).toBeNull();
    expect(dialog.textContent).toContain('cannot remember passwords');
    fireEvent.change(input, { target: { value: 'pw-123' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Log in' }));
    await waitFor(() => expect(fake.calls.find((c) => c.channel === 'prompts.answer')?.args).toEqual(['p2', { kind: 'secret', value: 'pw-123', remember: false }]));
    expect(JSON.stringify(useSettingsStore.getState())).not.toContain('pw-123');

    act(() => useSettingsStore.getState().setPrompt({ ...password, id: 'p3', canRemember: true }));
    const again = await screen.findByRole('dialog', { name: 'Password for hpcotp@127.0.0.1:2223' });
    fireEvent.click(within(again).getByRole('checkbox', { name: 'Remember this password on this computer' }));
    fireEvent.change(within(again).getByLabelText('Password'), { target: { value: 'pw-456' } });
    fireEvent.submit(within(again).getByLabelText('Password').closest('form')!);
    await waitFor(() => expect(fake.calls.filter((c) => c.channel === 'prompts.answer').at(-1)?.args).toEqual(['p3', { kind: 'secret', value: 'pw-456', remember: true }]));
  });

  it('a one-time code uses the server\'s words and Cancel answers null', async () => {
    const fake = fakeApi({ prompts: { answer: async (id) => ({ ok: true, value: { id: id as string } }) } });
    setApi(fake.api);
    render(<LoginPrompts />);
    act(() => useSettingsStore.getState().setPrompt({ ...password, id: 'p4', secretKind: 'keyboard-interactive', prompt: 'Verification code: ', isPassword: false }));
    const dialog = await screen.findByRole('dialog', { name: 'Login to hpcotp@127.0.0.1:2223' });
    expect((within(dialog).getByLabelText('Verification code') as HTMLInputElement).type).toBe('password');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(fake.calls.find((c) => c.channel === 'prompts.answer')?.args).toEqual(['p4', { kind: 'secret', value: null, remember: false }]));
  });

  it('a prompt closed elsewhere (answered in another window) closes here too', async () => {
    const fake = fakeApi({ prompts: { pending: async () => ({ ok: true, value: hostKey }) } });
    setApi(fake.api);
    const off = connectPrompts();
    render(<LoginPrompts />);
    await screen.findByRole('dialog', { name: 'First connection to 127.0.0.1:2223' });
    act(() => fake.emit([{ type: 'ssh.promptClosed', id: 'p1', reason: 'answered' }]));
    expect(screen.queryByRole('dialog')).toBeNull();
    off();
  });

  it('a changed host key that stopped a run is shown as a warning naming the old known_hosts line', async () => {
    const fake = fakeApi();
    setApi(fake.api);
    const off = connectPrompts();
    render(<LoginPrompts />);
    const message = 'Lab: The host key of [127.0.0.1]:2223 (the login node) is not the one Fluxo knows. The server showed ssh-ed25519 SHA256:x; the old key is in /home/ana/.ssh/known_hosts line 7. Nothing was sent to the server.';
    const hint = "Ask the cluster's support whether the key changed; only then remove the old line (ssh-keygen -R '[127.0.0.1]:2223' -f '/home/ana/.ssh/known_hosts') and connect again.";
    act(() => fake.emit([{ type: 'run.finished', run: { error: { code: 'E500', message, hint } } as never }]));
    const dialog = await screen.findByRole('alertdialog', { name: "Warning: the cluster's host key has changed" });
    expect(within(dialog).getByTestId('old-known-hosts-line').textContent).toBe('The old key is in /home/ana/.ssh/known_hosts, line 7.');
    expect(dialog.textContent).toContain("ssh-keygen -R '[127.0.0.1]:2223' -f '/home/ana/.ssh/known_hosts'");
    expect(oldKnownHostsLine('nothing here')).toBeNull();
    off();
  });
});

describe('clusters and connections screen', () => {
  function mount(entries: TargetEntry[], extra: Parameters<typeof fakeApi>[0] = {}) {
    const fake = fakeApi({
      targets: {
        overview: async () => ({ ok: true, value: overview(entries) }),
        list: async () => ({ ok: true, value: entries.map((e) => e.profile) as TargetProfile[] }),
        ...extra.targets,
      },
      settings: { setRunOptions: async (_id, o) => ({ ok: true, value: { x: o as never } }), ...extra.settings },
    });
    setApi(fake.api);
    render(
      <>
        <SettingsScreen />
        <Modal />
      </>,
    );
    return fake;
  }

  it('lists shipped and own profiles with host, user and which is which', async () => {
    mount([...shipped, mine]);
    const table = await screen.findByRole('table', { name: 'Clusters' });
    const row = (id: string) => table.querySelector<HTMLElement>(`[data-target="${id}"]`)!;
    expect(row('uni').textContent).toContain('hpc.uni.example');
    expect(row('uni').textContent).toContain('ana');
    expect(row('uni').textContent).toContain('Yours');
    expect(row('lab').textContent).toContain('Ships with Fluxo');
    expect(row('lab').textContent).toContain('127.0.0.1:2222');
    expect(within(row('lab')).queryByRole('button', { name: /^Delete/ })).toBeNull();
    expect(within(row('uni')).getByRole('button', { name: 'Delete University cluster' })).toBeTruthy();
    expect(screen.getByText(/Passwords cannot be remembered in this window/)).toBeTruthy();
  });

  it('deleting an own profile asks first, then removes it', async () => {
    const fake = mount([...shipped, mine], { targets: { remove: async (id) => ({ ok: true, value: { id: id as string } }) } });
    fireEvent.click(await screen.findByRole('button', { name: 'Delete University cluster' }));
    const confirm = await screen.findByRole('dialog', { name: 'Delete “University cluster”?' });
    expect(confirm.textContent).toContain('/home/ana/Fluxo/targets/uni.yaml');
    fireEvent.click(within(confirm).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(fake.calls.some((c) => c.channel === 'targets.remove' && c.args[0] === 'uni')).toBe(true));
  });

  it('adding a cluster like a shipped one saves the profile and the account, QoS and reservation', async () => {
    const fake = mount(shipped, { targets: { save: async (p) => ({ ok: true, value: { profile: p as TargetProfile, source: 'user', file: '/x.yaml', overrides: null } }) } });
    fireEvent.click(await screen.findByRole('button', { name: 'Add a cluster' }));
    const dialog = await screen.findByRole('dialog', { name: 'Add a cluster' });
    fireEvent.change(within(dialog).getByLabelText('Start from'), { target: { value: 'lab' } });
    expect((within(dialog).getByLabelText('Short name (id)') as HTMLInputElement).value).toBe('lab-mine');
    fireEvent.change(within(dialog).getByLabelText('Port'), { target: { value: '2223' } });
    fireEvent.change(within(dialog).getByLabelText(/^User name/), { target: { value: 'hpcotp' } });
    fireEvent.change(within(dialog).getByLabelText(/^Reservation/), { target: { value: 'course_2026' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(fake.calls.some((c) => c.channel === 'settings.setRunOptions')).toBe(true));
    const saved = fake.calls.find((c) => c.channel === 'targets.save')!;
    expect(saved.args[0]).toMatchObject({ id: 'lab-mine', login: { port: 2223, user: 'hpcotp' }, partitions: lab.partitions });
    expect(saved.args[1]).toBeNull();
    expect(fake.calls.find((c) => c.channel === 'settings.setRunOptions')!.args).toEqual(['lab-mine', { account: '', qos: '', reservation: 'course_2026' }]);
  });

  it('a form with mistakes is not saved and says what is wrong', async () => {
    const fake = mount(shipped);
    fireEvent.click(await screen.findByRole('button', { name: 'Add a cluster' }));
    const dialog = await screen.findByRole('dialog', { name: 'Add a cluster' });
    fireEvent.change(within(dialog).getByLabelText('Login host'), { target: { value: 'bad host' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    expect(await within(dialog).findByText(/Write a host name such as ft3.cesga.es/)).toBeTruthy();
    expect(fake.calls.some((c) => c.channel === 'targets.save')).toBe(false);
  });

  it('the toolbar control shows the chosen cluster\'s Slurm choices and hides for This computer', () => {
    useAppStore.setState({ targets: [lab], targetId: 'lab', runOptions: { lab: { account: 'ehpc123', qos: 'short', reservation: '' } } });
    const { rerender } = render(<RunOptionsControl />);
    expect(screen.getByRole('button', { name: /Slurm account, QoS and reservation for Test cluster \(loopback\): ehpc123 · short/ })).toBeTruthy();
    act(() => useAppStore.setState({ targets: [{ id: 'local', title: 'This computer', description: '', kind: 'local' }], targetId: 'local' }));
    rerender(<RunOptionsControl />);
    expect(screen.queryByRole('button')).toBeNull();
  });
});
