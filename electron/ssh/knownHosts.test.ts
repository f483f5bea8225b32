// @vitest-environment node
/**
 * known_hosts as OpenSSH reads it, checked against OpenSSH's own tools: keys made by ssh-keygen,
 * files hashed by `ssh-keygen -H`, lookups cross-checked with `ssh-keygen -F`, fingerprints with
 * `ssh-keygen -l -E sha256`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendKnownHost, fingerprintSha256, keyTypeOfBlob, lookupHostKey, matchPatternList, parseKnownHosts, readKnownHosts } from './knownHosts';

const hasKeygen = spawnSync('ssh-keygen', ['-?'], { encoding: 'utf8' }).error === undefined;

describe.runIf(hasKeygen)('known_hosts', () => {
  let tmp = '';
  const keys: Record<string, { type: string; b64: string; blob: Buffer; pubFile: string }> = {};
  const makeKey = (name: string, type: string) => {
    const f = path.join(tmp, name);
    const r = spawnSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', f], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    const [t, b64] = fs.readFileSync(`${f}.pub`, 'utf8').split(' ');
    keys[name] = { type: t!, b64: b64!, blob: Buffer.from(b64!, 'base64'), pubFile: `${f}.pub` };
  };
  const write = (name: string, text: string) => {
    const f = path.join(tmp, name);
    fs.writeFileSync(f, text);
    return f;
  };

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxo-kh-'));
    makeKey('a', 'ed25519');
    makeKey('b', 'ed25519');
    makeKey('ec', 'ecdsa');
    makeKey('rsa', 'rsa');
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('fingerprints and key types agree with ssh-keygen -l -E sha256', () => {
    for (const k of Object.values(keys)) {
      const out = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', k.pubFile], { encoding: 'utf8' }).stdout;
      expect(out.split(' ')[1]).toBe(fingerprintSha256(k.blob));
      expect(keyTypeOfBlob(k.blob)).toBe(k.type);
    }
  });

  it('plain, comma-list, [host]:port, wildcard entries; same key matches, another key of the type is "changed" with file and line', () => {
    const a = keys.a!;
    const f = write('plain', `# comment\n\nlogin1.cluster.org,10.0.0.1 ${a.type} ${a.b64}\n[127.0.0.1]:2222 ${a.type} ${a.b64}\n*.example.org ${a.type} ${a.b64} comment here\n`);
    const entries = readKnownHosts([f, path.join(tmp, 'missing')]);
    expect(lookupHostKey(entries, '10.0.0.1', 22, a.type, a.blob)).toMatchObject({ status: 'match', line: 3 });
    expect(lookupHostKey(entries, 'LOGIN1.cluster.org', 22, a.type, a.blob).status).toBe('match');
    expect(lookupHostKey(entries, '127.0.0.1', 2222, a.type, a.blob)).toMatchObject({ status: 'match', line: 4 });
    // Port 22 and another port are different names.
    expect(lookupHostKey(entries, '127.0.0.1', 22, a.type, a.blob).status).toBe('unknown');
    expect(lookupHostKey(entries, 'ft3.example.org', 22, a.type, a.blob).status).toBe('match');
    expect(lookupHostKey(entries, '127.0.0.1', 2222, keys.b!.type, keys.b!.blob)).toEqual({ status: 'changed', file: f, line: 4, revoked: false, knownKeyType: 'ssh-ed25519' });
    // Known only under another type: unknown for this one, and the known type is reported.
    expect(lookupHostKey(entries, '127.0.0.1', 2222, keys.ec!.type, keys.ec!.blob)).toEqual({ status: 'unknown', otherKeyTypes: ['ssh-ed25519'] });
  });

  it('negated patterns rule a host out even when another pattern matches; ? matches one character', () => {
    expect(matchPatternList('node1.example.org', '*.example.org,!node1.example.org')).toBe(false);
    expect(matchPatternList('node2.example.org', '*.example.org,!node1.example.org')).toBe(true);
    expect(matchPatternList('login3', 'login?')).toBe(true);
    expect(matchPatternList('login33', 'login?')).toBe(false);
    expect(matchPatternList('a.b', 'a?b')).toBe(true);
    expect(matchPatternList('axxb', 'a.b')).toBe(false);
  });

  it('hashed entries made by ssh-keygen -H are matched, and what ssh-keygen -F finds we find', () => {
    const a = keys.a!;
    const f = write('hashed', `[127.0.0.1]:2222 ${a.type} ${a.b64}\nlogin.cluster.org ${a.type} ${a.b64}\n`);
    expect(spawnSync('ssh-keygen', ['-H', '-f', f]).status).toBe(0);
    const text = fs.readFileSync(f, 'utf8');
    expect(text).not.toContain('127.0.0.1');
    expect(text).toMatch(/^\|1\|/);
    const entries = readKnownHosts([f]);
    expect(lookupHostKey(entries, '127.0.0.1', 2222, a.type, a.blob).status).toBe('match');
    expect(lookupHostKey(entries, 'login.cluster.org', 22, a.type, a.blob).status).toBe('match');
    expect(lookupHostKey(entries, '127.0.0.1', 2223, a.type, a.blob).status).toBe('unknown');
    expect(lookupHostKey(entries, 'login.cluster.org', 22, keys.b!.type, keys.b!.blob).status).toBe('changed');
  });

  it('@revoked refuses the key wherever it is listed; @cert-authority lines are never host keys', () => {
    const a = keys.a!;
    const b = keys.b!;
    const f = write('markers', `@cert-authority *.cluster.org ${b.type} ${b.b64}\n@revoked * ${a.type} ${a.b64}\nlogin.cluster.org ${a.type} ${a.b64}\n`);
    const entries = readKnownHosts([f]);
    expect(lookupHostKey(entries, 'login.cluster.org', 22, a.type, a.blob)).toMatchObject({ status: 'changed', revoked: true, line: 2 });
    expect(lookupHostKey(entries, 'x.cluster.org', 22, b.type, b.blob).status).toBe('unknown');
  });

  it('lines that cannot be read are skipped, like OpenSSH does', () => {
    const entries = parseKnownHosts('garbage\nhost ssh-ed25519 not*base64\nhost ssh-ed25519\n', 'f');
    expect(entries).toEqual([]);
  });

  it('appending writes "[host]:port type base64" (0600, folder 0700) that ssh-keygen -F finds; hashed when asked', () => {
    const a = keys.a!;
    const f = path.join(tmp, 'new', 'dir', 'known_hosts');
    appendKnownHost(f, '127.0.0.1', 2222, a.type, a.blob);
    expect(fs.readFileSync(f, 'utf8')).toBe(`[127.0.0.1]:2222 ${a.type} ${a.b64}\n`);
    expect(fs.statSync(f).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(f)).mode & 0o777).toBe(0o700);
    appendKnownHost(f, 'login.cluster.org', 22, a.type, a.blob, { hashed: true });
    expect(fs.readFileSync(f, 'utf8').split('\n')[1]).toMatch(/^\|1\|[^ ]+ ssh-ed25519 /);
    for (const name of ['[127.0.0.1]:2222', 'login.cluster.org']) {
      expect(spawnSync('ssh-keygen', ['-F', name, '-f', f], { encoding: 'utf8' }).status).toBe(0);
    }
    // A file without a final newline still gets one line per key.
    const g = write('no-newline', `h1 ${a.type} ${a.b64}`);
    appendKnownHost(g, 'h2', 22, a.type, a.blob);
    expect(readKnownHosts([g]).map((e) => e.hosts)).toEqual(['h1', 'h2']);
  });
});
