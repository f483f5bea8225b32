/**
 * The app windows' Prompter: a login question (trust this host key? password? code?) becomes an
 * `ssh.promptRequested` event for every window, and the first window that answers through
 * `prompts.answer` decides. Questions are shown one at a time, in the order the logins asked them,
 * because two dialogs at once would leave a person guessing which cluster wants which code.
 *
 * Secrets: the answer goes straight to the transport and is dropped. Only when the person ticked
 * "Remember" (and the host has a real keychain) is a password held until the server has judged it,
 * then written to the SecretStore if it worked. Events never carry an answer, and nothing here logs.
 */
import type { FluxoEvent, SshPrompt, SshPromptAnswer } from '../../shared/api';
import { hostKeyName } from './knownHosts';
import { isRememberable } from './prompts';
import type { SecretStore } from './secrets';
import type { HostKeyQuestion, Prompter, SecretRequest } from './transport';
import { SshError } from './transport';

/** Five minutes: long enough to find a phone for the code, short enough that a forgotten login ends. */
export const DEFAULT_PROMPT_TIMEOUT_MS = 5 * 60_000;

/** A SecretStore that can say whether it can keep anything (SafeStorageSecretStore can). */
export type KeepingStore = SecretStore & { unavailableReason?(): string | null };

export interface UiPrompterOptions {
  /** How long a shown prompt waits for an answer before the login fails. */
  timeoutMs?: number;
  /** Where remembered passwords live; null: this host cannot keep secrets (the browser host). */
  secrets?: KeepingStore | null;
  /** Why secrets cannot be kept when there is no store, in words (shown instead of "Remember"). */
  noSecretsReason?: string;
}

type Waiting =
  | { prompt: Extract<SshPrompt, { kind: 'hostKey' }>; resolve(v: boolean): void; reject(e: Error): void }
  | { prompt: Extract<SshPrompt, { kind: 'secret' }>; rememberable: boolean; resolve(v: string | null, remember: boolean): void; reject(e: Error): void };

export type AnswerOutcome = { ok: true } | { ok: false; reason: 'gone' | 'wrong-kind' };

export class UiPrompter implements Prompter {
  private readonly queue: Waiting[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private seq = 0;
  private emitFn: (e: FluxoEvent) => void = () => undefined;
  /** Answers the person asked to remember, until the server says whether they worked. */
  private readonly toRemember = new Map<string, string>();
  private readonly timeoutMs: number;
  private readonly secrets: KeepingStore | null;

  constructor(private readonly options: UiPrompterOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_PROMPT_TIMEOUT_MS;
    this.secrets = options.secrets ?? null;
  }

  /** Where events go (the backend's event hub); set once the backend exists. */
  attach(emit: (e: FluxoEvent) => void): void {
    this.emitFn = emit;
    const head = this.queue[0];
    if (head) emit({ type: 'ssh.promptRequested', prompt: head.prompt });
  }

  /** Why secrets cannot be remembered here, or null when they can. */
  secretsUnavailable(): string | null {
    if (!this.secrets) return this.options.noSecretsReason ?? 'this window cannot keep passwords';
    return this.secrets.unavailableReason?.() ?? null;
  }

  /** The prompt shown now, for a window that opened after it was asked. */
  current(): SshPrompt | null {
    return this.queue[0]?.prompt ?? null;
  }

  /** How many questions wait (the one shown included). */
  get size(): number {
    return this.queue.length;
  }

  confirmHostKey(q: HostKeyQuestion): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const prompt = { id: this.nextId(), kind: 'hostKey' as const, host: q.host, port: q.port, keyType: q.keyType, fingerprint: q.fingerprint };
      this.enqueue({ prompt, resolve, reject });
    });
  }

  async ask(request: SecretRequest): Promise<string | null> {
    // One-time codes are never kept (isRememberable), whatever the person ticks.
    const rememberable = isRememberable(request);
    if (rememberable && this.secrets && this.secretsUnavailable() === null) {
      const kept = await this.secrets.get(request.key).catch(() => null);
      if (kept !== null) {
        // Kept until settled: a stored password the server now refuses is deleted then.
        this.toRemember.set(request.key, kept);
        return kept;
      }
    }
    return new Promise<string | null>((resolve, reject) => {
      const prompt: Extract<SshPrompt, { kind: 'secret' }> = {
        id: this.nextId(),
        kind: 'secret',
        secretKind: request.kind,
        // A keyboard-interactive key is "user@host:port Prompt:": the account is what the person reads.
        target: request.kind === 'keyboard-interactive' ? (request.key.split(' ')[0] ?? request.key) : request.key,
        prompt: request.prompt.trim(),
        instructions: request.instructions.trim(),
        echo: request.echo,
        isPassword: request.kind !== 'keyboard-interactive' || /pass(word|phrase)/i.test(request.prompt),
        canRemember: rememberable && this.secretsUnavailable() === null,
      };
      this.enqueue({
        prompt,
        rememberable,
        resolve: (value, remember) => {
          if (value !== null && remember && prompt.canRemember) this.toRemember.set(request.key, value);
          resolve(value);
        },
        reject,
      });
    });
  }

  settled(keys: string[], worked: boolean): void {
    for (const key of keys) {
      const value = this.toRemember.get(key);
      this.toRemember.delete(key);
      if (!this.secrets) continue;
      if (worked && value !== undefined) void this.secrets.set(key, value).catch(() => undefined);
      // A refused password must never be offered again by itself.
      if (!worked) void this.secrets.delete(key).catch(() => undefined);
    }
  }

  /** Routes a window's answer to the question it answers. */
  answer(id: string, answer: SshPromptAnswer): AnswerOutcome {
    const head = this.queue[0];
    if (!head || head.prompt.id !== id) return { ok: false, reason: 'gone' };
    if (head.prompt.kind === 'hostKey' && answer.kind !== 'hostKey') return { ok: false, reason: 'wrong-kind' };
    if (head.prompt.kind === 'secret' && answer.kind !== 'secret') return { ok: false, reason: 'wrong-kind' };
    const cancelled = (answer.kind === 'hostKey' && !answer.trust) || (answer.kind === 'secret' && answer.value === null);
    this.finish(cancelled ? 'cancelled' : 'answered');
    if (head.prompt.kind === 'hostKey') (head.resolve as (v: boolean) => void)(answer.kind === 'hostKey' && answer.trust);
    else if (answer.kind === 'secret') (head.resolve as (v: string | null, remember: boolean) => void)(answer.value, answer.remember);
    return { ok: true };
  }

  /** Cancels every question (the app is closing): each login fails as cancelled. */
  cancelAll(): void {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      this.finish('cancelled');
      head.reject(new SshError('cancelled', 'The login was cancelled because Fluxo is closing.'));
    }
  }

  private nextId(): string {
    return `p${++this.seq}`;
  }

  private enqueue(w: Waiting): void {
    this.queue.push(w);
    if (this.queue.length === 1) this.show();
  }

  private show(): void {
    const head = this.queue[0];
    if (!head) return;
    this.emitFn({ type: 'ssh.promptRequested', prompt: head.prompt });
    this.timer = setTimeout(() => this.expire(), this.timeoutMs);
    this.timer.unref?.();
  }

  /** Removes the head, tells the windows, and shows the next question. */
  private finish(reason: 'answered' | 'cancelled' | 'timeout'): void {
    const head = this.queue.shift();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!head) return;
    this.emitFn({ type: 'ssh.promptClosed', id: head.prompt.id, reason });
    this.show();
  }

  private expire(): void {
    const head = this.queue[0];
    if (!head) return;
    this.finish('timeout');
    const minutes = Math.max(1, Math.round(this.timeoutMs / 60_000));
    if (head.prompt.kind === 'hostKey') {
      head.reject(
        new SshError(
          'host-key-unknown',
          `No one answered whether to trust ${hostKeyName(head.prompt.host, head.prompt.port)} (${head.prompt.keyType} ${head.prompt.fingerprint}) within ${minutes} min, so Fluxo did not connect.`,
          'Start again and answer the question in the Fluxo window.',
        ),
      );
    } else {
      head.reject(
        new SshError(
          'cancelled',
          `No one typed the ${head.prompt.secretKind === 'passphrase' ? 'key passphrase' : head.prompt.isPassword ? 'password' : 'answer'} for ${head.prompt.target} within ${minutes} min, so the login was stopped.`,
          'Start again and answer the question in the Fluxo window.',
        ),
      );
    }
  }
}
