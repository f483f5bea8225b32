import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FluxoEvent, SshPrompt } from '../../shared/api';
import { MemorySecretStore } from './secrets';
import type { SecretRequest } from './transport';
import { SshError } from './transport';
import { UiPrompter } from './uiPrompter';

const hostKey = { host: 'ft3.cesga.es', port: 22, keyType: 'ssh-ed25519', fingerprint: 'SHA256:abc' };
const password: SecretRequest = { kind: 'password', key: 'ana@ft3.cesga.es:22', prompt: "ana@ft3.cesga.es's password:", echo: false, instructions: '' };
const code: SecretRequest = { kind: 'keyboard-interactive', key: 'ana@ft3.cesga.es:22 Verification code:', prompt: 'Verification code:', echo: false, instructions: '' };

function setup(options: ConstructorParameters<typeof UiPrompter>[0] = {}) {
  const events: FluxoEvent[] = [];
  const p = new UiPrompter(options);
  p.attach((e) => events.push(e));
  const shown = () => events.filter((e): e is Extract<FluxoEvent, { type: 'ssh.promptRequested' }> => e.type === 'ssh.promptRequested').map((e) => e.prompt);
  return { p, events, shown };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('UiPrompter', () => {
  it('shows one question at a time and the next one only after the first is answered', async () => {
    const { p, shown } = setup();
    const trust = p.confirmHostKey(hostKey);
    const secret = p.ask(password);
    expect(shown()).toHaveLength(1);
    expect(shown()[0]).toMatchObject({ kind: 'hostKey', host: 'ft3.cesga.es', fingerprint: 'SHA256:abc', keyType: 'ssh-ed25519' });
    expect(p.answer(shown()[0]!.id, { kind: 'hostKey', trust: true })).toEqual({ ok: true });
    await expect(trust).resolves.toBe(true);
    expect(shown()).toHaveLength(2);
    const second = shown()[1] as Extract<SshPrompt, { kind: 'secret' }>;
    expect(second).toMatchObject({ kind: 'secret', secretKind: 'password', target: 'ana@ft3.cesga.es:22', isPassword: true, echo: false });
    p.answer(second.id, { kind: 'secret', value: 's3cret', remember: false });
    await expect(secret).resolves.toBe('s3cret');
    expect(p.size).toBe(0);
  });

  it('routes an answer only to the question shown, and a late second answer is refused', async () => {
    const { p, shown } = setup();
    const first = p.ask(password);
    void p.ask(code);
    const [a] = shown();
    expect(p.answer('p999', { kind: 'secret', value: 'x', remember: false })).toEqual({ ok: false, reason: 'gone' });
    expect(p.answer(a!.id, { kind: 'hostKey', trust: true })).toEqual({ ok: false, reason: 'wrong-kind' });
    expect(p.answer(a!.id, { kind: 'secret', value: 'pw', remember: false })).toEqual({ ok: true });
    expect(p.answer(a!.id, { kind: 'secret', value: 'again', remember: false })).toEqual({ ok: false, reason: 'gone' });
    await expect(first).resolves.toBe('pw');
    expect(p.current()?.kind).toBe('secret');
    expect((p.current() as Extract<SshPrompt, { kind: 'secret' }>).prompt).toBe('Verification code:');
  });

  it('cancel answers null (the transport makes it E506) and refusing a host key answers false', async () => {
    const { p, shown, events } = setup();
    const trust = p.confirmHostKey(hostKey);
    p.answer(shown()[0]!.id, { kind: 'hostKey', trust: false });
    await expect(trust).resolves.toBe(false);
    const secret = p.ask(password);
    p.answer(shown()[1]!.id, { kind: 'secret', value: null, remember: false });
    await expect(secret).resolves.toBeNull();
    expect(events.filter((e) => e.type === 'ssh.promptClosed').map((e) => (e as { reason: string }).reason)).toEqual(['cancelled', 'cancelled']);
  });

  it('a question no window answers times out with a clear error and the next one is shown', async () => {
    vi.useFakeTimers();
    const { p, shown, events } = setup({ timeoutMs: 60_000 });
    const secret = p.ask(password);
    const trust = p.confirmHostKey(hostKey);
    const failed = expect(secret).rejects.toMatchObject({ kind: 'cancelled', message: expect.stringContaining('No one typed the password for ana@ft3.cesga.es:22 within 1 min') });
    vi.advanceTimersByTime(60_001);
    await failed;
    expect(events.some((e) => e.type === 'ssh.promptClosed' && e.reason === 'timeout')).toBe(true);
    expect(shown()).toHaveLength(2);
    vi.advanceTimersByTime(60_001);
    await expect(trust).rejects.toBeInstanceOf(SshError);
  });

  it('never puts the secret in an event, and does not keep it when Remember is not ticked', async () => {
    const store = new MemorySecretStore();
    const { p, shown, events } = setup({ secrets: store });
    const first = p.ask(password);
    await vi.waitFor(() => expect(shown()).toHaveLength(1));
    p.answer(shown()[0]!.id, { kind: 'secret', value: 'hunter2-secret', remember: false });
    await first;
    p.settled([password.key], true);
    expect(JSON.stringify(events)).not.toContain('hunter2-secret');
    expect(await store.get(password.key)).toBeNull();
    // Asked again next time: nothing was remembered.
    const again = p.ask(password);
    await vi.waitFor(() => expect(shown()).toHaveLength(2));
    p.answer(shown()[1]!.id, { kind: 'secret', value: null, remember: false });
    await again;
  });

  it('keeps a remembered password only once the server accepted it, and forgets it when refused', async () => {
    const store = new MemorySecretStore();
    const { p, shown } = setup({ secrets: store });
    const first = p.ask(password);
    await vi.waitFor(() => expect(shown()).toHaveLength(1));
    expect((shown()[0] as Extract<SshPrompt, { kind: 'secret' }>).canRemember).toBe(true);
    p.answer(shown()[0]!.id, { kind: 'secret', value: 'pw', remember: true });
    await first;
    expect(await store.get(password.key)).toBeNull();
    p.settled([password.key], true);
    await vi.waitFor(async () => expect(await store.get(password.key)).toBe('pw'));
    // Offered from the keychain without a dialog; refused by the server, then deleted.
    await expect(p.ask(password)).resolves.toBe('pw');
    expect(shown()).toHaveLength(1);
    p.settled([password.key], false);
    await vi.waitFor(async () => expect(await store.get(password.key)).toBeNull());
  });

  it('never offers to remember a one-time code, nor anything on a host without a keychain', async () => {
    const withStore = setup({ secrets: new MemorySecretStore() });
    void withStore.p.ask(code);
    await vi.waitFor(() => expect(withStore.shown()).toHaveLength(1));
    expect((withStore.shown()[0] as Extract<SshPrompt, { kind: 'secret' }>)).toMatchObject({ canRemember: false, isPassword: false, target: 'ana@ft3.cesga.es:22' });
    const browser = setup({ secrets: null, noSecretsReason: 'no keychain here' });
    void browser.p.ask(password);
    expect((browser.shown()[0] as Extract<SshPrompt, { kind: 'secret' }>).canRemember).toBe(false);
    expect(browser.p.secretsUnavailable()).toBe('no keychain here');
  });

  it('a window attached later is shown the question already waiting', () => {
    const p = new UiPrompter();
    void p.confirmHostKey(hostKey);
    const events: FluxoEvent[] = [];
    p.attach((e) => events.push(e));
    expect(events[0]).toMatchObject({ type: 'ssh.promptRequested', prompt: { kind: 'hostKey' } });
  });

  it('cancelAll fails every waiting login as cancelled', async () => {
    const { p } = setup();
    const a = p.ask(password);
    const b = p.confirmHostKey(hostKey);
    p.cancelAll();
    await expect(a).rejects.toMatchObject({ kind: 'cancelled' });
    await expect(b).rejects.toMatchObject({ kind: 'cancelled' });
  });
});
