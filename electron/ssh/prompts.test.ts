// @vitest-environment node
/**
 * The CLI prompter: askpass programs (run without a shell), host keys never accepted without a
 * person or an explicit --accept-host-key, answers remembered only once they worked, and secrets
 * typed on a terminal never echoed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliPrompter, hostKeyQuestionText, isRememberable } from './prompts';
import type { SecretRequest } from './transport';
import { SshError } from './transport';

const password: SecretRequest = { kind: 'password', key: 'ana@127.0.0.1:2223', prompt: "ana@127.0.0.1's password:", echo: false, instructions: '' };
const code: SecretRequest = { kind: 'keyboard-interactive', key: 'ana@127.0.0.1:2223 Verification code:', prompt: 'Verification code: ', echo: false, instructions: '' };
const question = { host: '127.0.0.1', port: 2222, keyType: 'ssh-ed25519', fingerprint: 'SHA256:B01B2GezONf/LzhwYmiHAVykK2cZMyrEf30GpFOcvLo' };

describe('CliPrompter', () => {
  let tmp = '';
  let askpass = '';
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxo-prompts-'));
    askpass = path.join(tmp, 'askpass');
    // Logs each call and answers from a file, so a test can change the answer between calls.
    fs.writeFileSync(askpass, `#!/bin/sh\nprintf '%s\\n' "$1" >>'${tmp}/calls'\ncat '${tmp}/answer'\n`, { mode: 0o700 });
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const calls = () => (fs.existsSync(path.join(tmp, 'calls')) ? fs.readFileSync(path.join(tmp, 'calls'), 'utf8').split('\n').filter(Boolean) : []);
  const answer = (text: string) => fs.writeFileSync(path.join(tmp, 'answer'), text);

  it('FLUXO_ASKPASS gets the prompt as its one argument, without a shell; its first line is the answer', async () => {
    fs.rmSync(path.join(tmp, 'calls'), { force: true });
    answer('s3cret $(touch x)\nsecond line\n');
    const p = new CliPrompter({ interactive: false, env: { FLUXO_ASKPASS: askpass } });
    expect(await p.ask(code)).toBe('s3cret $(touch x)');
    expect(calls()).toEqual(['Verification code: ']);
    expect(fs.existsSync(path.join(tmp, 'x'))).toBe(false);
  });

  it('an askpass program that fails is a cancel (null); one that cannot run is a clear error', async () => {
    const p = new CliPrompter({ interactive: false, env: { FLUXO_ASKPASS: '/bin/false' } });
    expect(await p.ask(password)).toBeNull();
    const missing = new CliPrompter({ interactive: false, env: { FLUXO_ASKPASS: path.join(tmp, 'nope') } });
    await expect(missing.ask(password)).rejects.toThrow(/FLUXO_ASKPASS .* could not be run/);
  });

  it('no terminal and no askpass: an error saying how to answer, not a hang', async () => {
    const p = new CliPrompter({ interactive: false, env: {} });
    await expect(p.ask(password)).rejects.toMatchObject({ kind: 'cancelled', hint: expect.stringMatching(/FLUXO_ASKPASS/) });
  });

  it('a password is remembered only after the server accepted it; a refused one is asked again; codes are never remembered', async () => {
    fs.rmSync(path.join(tmp, 'calls'), { force: true });
    const p = new CliPrompter({ interactive: false, env: { FLUXO_ASKPASS: askpass } });
    answer('wrong');
    expect(await p.ask(password)).toBe('wrong');
    p.settled([password.key], false);
    answer('right');
    expect(await p.ask(password)).toBe('right');
    p.settled([password.key], true);
    answer('changed');
    expect(await p.ask(password)).toBe('right');
    expect(calls()).toHaveLength(2);
    // The remembered one stops working (password changed): forgotten, asked again.
    p.settled([password.key], false);
    expect(await p.ask(password)).toBe('changed');
    answer('123456');
    expect(await p.ask(code)).toBe('123456');
    p.settled([code.key], true);
    answer('654321');
    expect(await p.ask(code)).toBe('654321');
    expect(isRememberable(code)).toBe(false);
    expect(isRememberable({ ...code, prompt: 'Password: ' })).toBe(true);
  });

  it('host keys without a terminal: only a fingerprint passed with --accept-host-key is trusted', async () => {
    expect(await new CliPrompter({ interactive: false, acceptHostKeys: [question.fingerprint] }).confirmHostKey(question)).toBe(true);
    const refused = await new CliPrompter({ interactive: false, acceptHostKeys: ['SHA256:other'], env: { FLUXO_ASKPASS: askpass } })
      .confirmHostKey(question)
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SshError);
    expect(refused).toMatchObject({ kind: 'host-key-unknown' });
    expect((refused as SshError).message).toContain(question.fingerprint);
    expect((refused as SshError).hint).toContain(`--accept-host-key ${question.fingerprint}`);
  });

  /** A terminal: raw mode switches recorded, what is shown collected. */
  const terminal = () => {
    const input = Object.assign(new PassThrough(), { isTTY: true, rawModes: [] as boolean[], setRawMode(on: boolean) {
      this.rawModes.push(on);
    } });
    const output = new PassThrough();
    let shown = '';
    output.on('data', (d: Buffer) => (shown += d.toString()));
    return { input, output, shown: () => shown };
  };

  it('on a terminal: the host key question as OpenSSH words it, y accepts, anything else refuses', async () => {
    expect(hostKeyQuestionText(question)).toBe(
      "The authenticity of host '[127.0.0.1]:2222' can't be established.\nED25519 key fingerprint is SHA256:B01B2GezONf/LzhwYmiHAVykK2cZMyrEf30GpFOcvLo.\nTrust it and continue? [y/N] ",
    );
    for (const [typed, expected] of [['y\n', true], ['yes\n', true], ['\n', false], ['no\n', false]] as const) {
      const t = terminal();
      const p = new CliPrompter({ interactive: true, input: t.input, output: t.output });
      const result = p.confirmHostKey(question);
      t.input.write(typed);
      expect(await result).toBe(expected);
      expect(t.shown()).toContain('Trust it and continue? [y/N]');
    }
  });

  it('on a terminal: a secret is read in raw mode and never echoed; backspace edits; Ctrl-C cancels', async () => {
    const t = terminal();
    const p = new CliPrompter({ interactive: true, input: t.input, output: t.output });
    const r = p.ask({ ...password, instructions: 'Welcome to the cluster' });
    t.input.write('hunter3\u007f2\r');
    expect(await r).toBe('hunter2');
    expect(t.input.rawModes).toEqual([true, false]);
    expect(t.shown()).toContain("ana@127.0.0.1's password:");
    expect(t.shown()).toContain('Welcome to the cluster');
    expect(t.shown()).not.toContain('hunter');
    const c = p.ask({ ...password, key: 'other' });
    t.input.write('abc\u0003');
    expect(await c).toBeNull();
  });
});
