// @vitest-environment node
/**
 * `fluxo targets test lab` as a person uses it, over the lab's real sshd and Slurm: key login,
 * password + one-time code through FLUXO_ASKPASS, a jump host, first contact with and without
 * --accept-host-key, a changed host key (refused, no credential asked), a wrong password (one
 * clear message, one attempt).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildNodeBundles } from '../fixtures/buildNode';
import { fluxoAsync, labFor, makeLabHome } from '../cluster/fluxoHome';
import type { LabHome } from '../cluster/fluxoHome';
import { asUser, REPO } from '../cluster/lab';

const gate = labFor('cliTargets.test.ts');
const describeLab = gate.lab === undefined ? describe.skip : describe;

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fluxo-clitargets-'));
const homes: LabHome[] = [];

beforeAll(async () => {
  await buildNodeBundles(path.join(REPO, 'dist'));
}, 120_000);
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  for (const h of homes) {
    if (gate.lab) asUser(gate.lab, `rm -rf ~/${h.workRootName}`);
    rmSync(h.home, { recursive: true, force: true });
  }
});

/**
 * An askpass program as a person would write one: answers the password prompt with `password`
 * and "Verification code:" with the current TOTP code, and logs every prompt it was shown.
 */
function askpass(password: string, secret: string | null): { program: string; log: string } {
  const log = path.join(tmp, `askpass-${Math.random().toString(36).slice(2)}.log`);
  const program = path.join(tmp, `askpass-${Math.random().toString(36).slice(2)}.cjs`);
  writeFileSync(
    program,
    `#!${process.execPath}
const fs = require('fs');
fs.appendFileSync(${JSON.stringify(log)}, process.argv[2] + '\\n');
if (/code/i.test(process.argv[2])) {
  const { TOTP } = require(${JSON.stringify(path.join(REPO, 'node_modules/otpauth'))});
  process.stdout.write(new TOTP({ secret: ${JSON.stringify(secret ?? '')} }).generate() + '\\n');
} else process.stdout.write(${JSON.stringify(password)} + '\\n');
`,
  );
  chmodSync(program, 0o755);
  return { program, log };
}

function prompts(log: string): string[] {
  try {
    return readFileSync(log, 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

async function targetsTest(home: LabHome, env: NodeJS.ProcessEnv = {}, args: string[] = []) {
  return fluxoAsync(['targets', 'test', 'lab', '--json', ...args], { ...home.env, ...env }, { timeoutMs: 120_000 }).done;
}

describeLab('fluxo targets test lab', () => {
  const lab = gate.lab!;
  const home = (options: Parameters<typeof makeLabHome>[1] = {}) => {
    const h = makeLabHome(lab, options);
    homes.push(h);
    return h;
  };

  it('with a key: logs in, finds Slurm 22.05, the profile\'s partitions and a writable work root', async () => {
    const r = await targetsTest(home());
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { ok: boolean; checks: Array<{ name: string; ok: boolean; detail: string }> };
    expect(report.ok).toBe(true);
    const byName = Object.fromEntries(report.checks.map((c) => [c.name, c.detail]));
    expect(byName.login).toContain(`${lab.user}@127.0.0.1:${lab.env.LAB_SSH_PORT}`);
    expect(byName.Slurm).toMatch(/slurm(-wlm)? 22\.05/);
    expect(byName.partitions).toContain('cpu, gpu');
    expect(byName['work root']).toMatch(/is writable/);
  }, 120_000);

  it('with a password and a one-time code, answered through FLUXO_ASKPASS', async () => {
    const pass = askpass(lab.env.LAB_OTP_PASSWORD!, lab.env.LAB_OTP_SECRET!);
    const h = home({ port: Number(lab.env.LAB_SSH_PW_PORT), login: { user: lab.env.LAB_OTP_USER, identityFiles: [], auth: ['keyboard-interactive', 'password'] } });
    const r = await targetsTest(h, { FLUXO_ASKPASS: pass.program });
    expect(r.code, r.stderr).toBe(0);
    const asked = prompts(pass.log);
    expect(asked.some((p) => /password/i.test(p))).toBe(true);
    expect(asked.some((p) => /Verification code/.test(p))).toBe(true);
    // The secrets never reach the output.
    expect(r.stdout + r.stderr).not.toContain(lab.env.LAB_OTP_PASSWORD!);
  }, 120_000);

  it('through the jump host', async () => {
    const h = home({ login: { proxyJump: `${lab.env.LAB_JUMP_USER}@127.0.0.1:${lab.env.LAB_SSH_JUMP_PORT}` } });
    const r = await targetsTest(h);
    expect(r.code, r.stderr).toBe(0);
  }, 120_000);

  it('first contact without a terminal is refused with the fingerprint; --accept-host-key with it trusts and records the key', async () => {
    const h = home();
    writeFileSync(h.env.FLUXO_KNOWN_HOSTS!, '');
    const refused = await targetsTest(h);
    expect(refused.code).toBe(1);
    const fingerprints = ['ED25519', 'ECDSA', 'RSA'].map((t) => lab.env[`LAB_HOSTKEY_SHA256_${t}`]!);
    const shown = fingerprints.find((f) => refused.stderr.includes(f));
    expect(shown, refused.stderr).toBeDefined();
    expect(refused.stderr).toContain('--accept-host-key');
    expect(readFileSync(h.env.FLUXO_KNOWN_HOSTS!, 'utf8')).toBe('');

    const accepted = await targetsTest(h, {}, ['--accept-host-key', shown!]);
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(readFileSync(h.env.FLUXO_KNOWN_HOSTS!, 'utf8')).toContain(`[127.0.0.1]:${lab.env.LAB_SSH_PORT}`);
  }, 120_000);

  it('fluxo targets import turns a Host of ~/.ssh/config (through its jump host) into a profile that logs in', async () => {
    const h = home();
    const env = { FLUXO_SSH_CONFIG: lab.env.LAB_SSH_CONFIG };
    const imported = await fluxoAsync(['targets', 'import', 'fluxolab-via-jump', '--like', 'lab', '--id', 'mylab'], { ...h.env, ...env }).done;
    expect(imported.code, imported.stderr).toBe(0);
    const text = readFileSync(path.join(h.home, 'targets', 'mylab.yaml'), 'utf8');
    expect(text).toContain('sshConfigHost: fluxolab-via-jump');
    expect(text).toContain('proxyJump: fluxolab-jump');
    // The work root of this test's own lab profile, so the check writes where this test cleans up.
    const r = await fluxoAsync(['targets', 'test', 'mylab', '--json'], { ...h.env, ...env }).done;
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).checks.find((c: { name: string }) => c.name === 'login').detail).toContain(`${lab.user}@127.0.0.1:${lab.env.LAB_SSH_PORT}`);
    const again = await fluxoAsync(['targets', 'import', 'fluxolab-via-jump', '--like', 'lab', '--id', 'mylab'], { ...h.env, ...env }).done;
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--force');
  }, 120_000);

  it('a changed host key is refused before any credential is asked for', async () => {
    const pass = askpass(lab.env.LAB_PASSWORD!, null);
    const h = home({ port: Number(lab.env.LAB_SSH_PW_PORT), login: { identityFiles: [], auth: ['password'] } });
    // Another server's key written for the lab's address: what an attacker in the middle would present.
    const other = spawnKey(path.join(tmp, `other-${Math.random().toString(36).slice(2)}`));
    writeFileSync(h.env.FLUXO_KNOWN_HOSTS!, `[127.0.0.1]:${lab.env.LAB_SSH_PW_PORT} ${other}\n`);
    const r = await targetsTest(h, { FLUXO_ASKPASS: pass.program });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/host key/i);
    expect(r.stderr).toMatch(/changed|differs|does not match/i);
    expect(prompts(pass.log)).toEqual([]);
  }, 120_000);

  it('a wrong password: one clear message, one attempt, no password in it', async () => {
    const pass = askpass('not-the-password', null);
    const h = home({ port: Number(lab.env.LAB_SSH_PW_PORT), login: { identityFiles: [], auth: ['password'] } });
    const r = await targetsTest(h, { FLUXO_ASKPASS: pass.program });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refused|wrong/i);
    expect(r.stderr).not.toContain('not-the-password');
    expect(prompts(pass.log)).toHaveLength(1);
  }, 120_000);
});

/** A fresh ed25519 public key line ("ssh-ed25519 AAAA..."), not the lab's. */
function spawnKey(file: string): string {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return readFileSync(`${file}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
}
