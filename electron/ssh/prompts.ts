/**
 * The command line's Prompter: the questions a login needs, asked the way `ssh` asks them, so a
 * person at a terminal sees nothing new, and a script can answer them the way it answers ssh.
 *
 * - On a terminal: questions go to stderr (stdout stays clean for --json), secrets are read
 *   without echo.
 * - Without a terminal: FLUXO_ASKPASS names a program that gets the prompt as its one argument and
 *   prints the answer (like SSH_ASKPASS); it is run without a shell. Host keys are never asked there:
 *   only a fingerprint the user passed with --accept-host-key is trusted, so nothing is accepted
 *   silently.
 * - Answers are remembered in memory for this process only, and only once the server accepted them
 *   (the transport calls settled()): a wrong password is asked again, never replayed. One-time codes
 *   are never remembered.
 */
import { execFile } from 'node:child_process';
import type { HostKeyQuestion, Prompter, SecretRequest } from './transport';
import { SshError } from './transport';
import { hostKeyName } from './knownHosts';

export interface CliPrompterOptions {
  /** Fingerprints ("SHA256:...") the user vouched for with --accept-host-key. */
  acceptHostKeys?: string[];
  env?: NodeJS.ProcessEnv;
  input?: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (on: boolean) => unknown };
  output?: NodeJS.WritableStream;
  /** Whether a person can be asked on input/output; default: both are terminals. */
  interactive?: boolean;
  /** How long an askpass program may take (a person may be typing into it). */
  askpassTimeoutMs?: number;
}

/** Whether an answer may be kept for the rest of the process: passwords and passphrases, not codes. */
export function isRememberable(request: SecretRequest): boolean {
  if (request.kind !== 'keyboard-interactive') return true;
  return !request.echo && /pass(word|phrase)/i.test(request.prompt) && !/code|token|otp|verification/i.test(request.prompt);
}

/** The host-key question, worded like OpenSSH so that people recognise it. */
export function hostKeyQuestionText(q: HostKeyQuestion): string {
  const type = q.keyType.replace(/^ssh-/, '').replace(/^ecdsa-sha2-nistp\d+$/, 'ECDSA').toUpperCase();
  return `The authenticity of host '${hostKeyName(q.host, q.port)}' can't be established.\n${type} key fingerprint is ${q.fingerprint}.\nTrust it and continue? [y/N] `;
}

export class CliPrompter implements Prompter {
  private readonly remembered = new Map<string, string>();
  private readonly pending = new Map<string, string>();
  private readonly env: NodeJS.ProcessEnv;
  private readonly input: NonNullable<CliPrompterOptions['input']>;
  private readonly output: NodeJS.WritableStream;
  private readonly interactive: boolean;

  constructor(private readonly options: CliPrompterOptions = {}) {
    this.env = options.env ?? process.env;
    this.input = options.input ?? process.stdin;
    this.output = options.output ?? process.stderr;
    this.interactive = options.interactive ?? (process.stdin.isTTY === true && process.stderr.isTTY === true);
  }

  async confirmHostKey(q: HostKeyQuestion): Promise<boolean> {
    if ((this.options.acceptHostKeys ?? []).includes(q.fingerprint)) return true;
    if (!this.interactive) {
      throw new SshError(
        'host-key-unknown',
        `Fluxo has never connected to ${hostKeyName(q.host, q.port)} and there is no terminal to ask whether to trust its ${q.keyType} key ${q.fingerprint}.`,
        `Check the fingerprint with the cluster's published one, then pass --accept-host-key ${q.fingerprint}`,
      );
    }
    const answer = await this.readLine(hostKeyQuestionText(q), true);
    return answer !== null && /^y(es)?$/i.test(answer.trim());
  }

  async ask(request: SecretRequest): Promise<string | null> {
    const known = this.remembered.get(request.key);
    if (known !== undefined) {
      this.pending.set(request.key, known);
      return known;
    }
    let answer: string | null;
    const askpass = this.env.FLUXO_ASKPASS;
    if (this.interactive) {
      if (request.instructions.trim() !== '') this.output.write(`${request.instructions.trim()}\n`);
      const prompt = request.prompt.endsWith(' ') ? request.prompt : `${request.prompt} `;
      answer = await this.readLine(prompt, request.echo);
    } else if (askpass) {
      answer = await this.runAskpass(askpass, request.prompt);
    } else {
      throw new SshError(
        'cancelled',
        `The login needs ${request.kind === 'passphrase' ? `the passphrase of ${request.key}` : `an answer to "${request.prompt.trim()}" for ${request.key.split(' ')[0]}`}, and there is no terminal to ask on.`,
        'Run the command in a terminal, or set FLUXO_ASKPASS to a program that prints the answer.',
      );
    }
    if (answer !== null && isRememberable(request)) this.pending.set(request.key, answer);
    return answer;
  }

  settled(keys: string[], worked: boolean): void {
    for (const key of keys) {
      const answer = this.pending.get(key);
      this.pending.delete(key);
      if (worked && answer !== undefined) this.remembered.set(key, answer);
      if (!worked) this.remembered.delete(key);
    }
  }

  /** Forgets every remembered answer (e.g. when the user logs out of a cluster). */
  forget(): void {
    this.remembered.clear();
    this.pending.clear();
  }

  private runAskpass(program: string, prompt: string): Promise<string | null> {
    return new Promise((resolve, reject) => {
      execFile(program, [prompt], { timeout: this.options.askpassTimeoutMs ?? 300_000, encoding: 'utf8', shell: false }, (err, stdout) => {
        if (err && typeof err.code === 'string') {
          return reject(new SshError('cancelled', `FLUXO_ASKPASS (${program}) could not be run: ${err.code}.`, 'Set FLUXO_ASKPASS to an executable program, or run the command in a terminal.'));
        }
        // Like ssh with SSH_ASKPASS: a program that fails means the person said no.
        if (err) return resolve(null);
        resolve(stdout.split(/\r?\n/)[0] ?? '');
      });
    });
  }

  /** One line from the terminal; without echo, typed characters are not shown. null: Ctrl-C / Ctrl-D. */
  private readLine(prompt: string, echo: boolean): Promise<string | null> {
    const input = this.input;
    const output = this.output;
    output.write(prompt);
    return new Promise((resolve) => {
      let line = '';
      const raw = !echo && typeof input.setRawMode === 'function';
      if (raw) input.setRawMode!(true);
      const finish = (value: string | null) => {
        input.removeListener('data', onData);
        if (raw) input.setRawMode!(false);
        input.pause();
        if (!echo || value === null) output.write('\n');
        resolve(value);
      };
      const onData = (chunk: Buffer | string) => {
        for (const ch of chunk.toString()) {
          if (ch === '\r' || ch === '\n') return finish(line);
          if (ch === '\u0003' || (ch === '\u0004' && line === '')) return finish(null);
          if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1);
          else line += ch;
        }
      };
      input.on('data', onData);
      input.resume();
    });
  }
}

/**
 * For the app's windows until they have their own dialogs: nothing can be asked, so first contact
 * and logins that need a typed secret stop with what to do instead. Keys and ssh-agent work.
 */
export class UnattendedPrompter implements Prompter {
  confirmHostKey(q: HostKeyQuestion): Promise<boolean> {
    return Promise.reject(
      new SshError(
        'host-key-unknown',
        `${hostKeyName(q.host, q.port)} is not known yet (its key fingerprint is ${q.fingerprint}), and this window cannot ask you to trust it`,
        `Check the fingerprint with the cluster's documentation, then run once in a terminal: fluxo targets test TARGET --accept-host-key ${q.fingerprint}`,
      ),
    );
  }

  ask(request: SecretRequest): Promise<string | null> {
    return Promise.reject(
      new SshError(
        'cancelled',
        `logging in to ${request.key} needs ${request.kind === 'passphrase' ? 'a key passphrase' : 'a password or a code'}, which this window cannot ask for yet`,
        'Use ssh-agent or a key without a passphrase, or start the run from a terminal: fluxo run FILE --target TARGET',
      ),
    );
  }
}
