// @vitest-environment node
/**
 * ~/.ssh/config read as OpenSSH reads it (first value wins, IdentityFile accumulates, tokens), and
 * never executed: a `Match exec` command must not run.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProxyJump, parseSshConfig, resolveHost, splitWords } from './sshConfig';

const who = { home: '/home/ana', localUser: 'ana', localHost: 'laptop' };

describe('ssh config', () => {
  let tmp = '';
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxo-sshcfg-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('first value wins across matching blocks; IdentityFile accumulates with ~ and %d %u %h %r %p expanded', () => {
    const config = parseSshConfig(
      `
# global defaults come first in OpenSSH only if written first
Host ft3
    HostName ft3.cesga.es
    User ana_c
    IdentityFile ~/.ssh/id_ft3
Host ft3 other
    User ignored
    Port 2200
Host *
    User default
    Port 22
    IdentityFile %d/keys/%u-%r@%h:%p
`,
      who,
    );
    expect(resolveHost(config, 'ft3', who)).toEqual({
      alias: 'ft3',
      hostName: 'ft3.cesga.es',
      user: 'ana_c',
      port: 2200,
      identityFiles: ['/home/ana/.ssh/id_ft3', '/home/ana/keys/ana-ana_c@ft3.cesga.es:2200'],
      proxyJump: null,
      proxyCommand: null,
      userKnownHostsFiles: [],
      known: true,
    });
    const other = resolveHost(config, 'somewhere', who);
    expect(other).toMatchObject({ hostName: 'somewhere', user: 'default', port: 22, known: false });
  });

  it('Key=Value, quotes, case-insensitive keywords, negated and wildcard Host patterns, trailing comments', () => {
    const config = parseSshConfig(
      `
HOST *.cluster.org !bad.cluster.org
  user=bob
  IdentityFile "/path with space/key" # my key
Host login? 
  Port = 2222
`,
      who,
    );
    expect(resolveHost(config, 'x.cluster.org', who)).toMatchObject({ user: 'bob', identityFiles: ['/path with space/key'] });
    expect(resolveHost(config, 'bad.cluster.org', who).user).toBeNull();
    expect(resolveHost(config, 'login1', who).port).toBe(2222);
    expect(resolveHost(config, 'login12', who).port).toBe(22);
    expect(splitWords('a "b c" d#x #rest')).toEqual(['a', 'b c', 'd#x']);
  });

  it('Match blocks are skipped, never executed: a Match exec command does not run and its options do not apply', () => {
    const marker = path.join(tmp, 'match-exec-ran');
    const text = `
Match exec "touch ${marker}"
    User from-match
    Include ${path.join(tmp, 'never.conf')}
Host ft3
    HostName ft3.cesga.es
`;
    fs.writeFileSync(path.join(tmp, 'never.conf'), 'Host ft3\n  User from-include-in-match\n');
    const r = resolveHost(parseSshConfig(text, who), 'ft3', who);
    expect(r.user).toBeNull();
    expect(r.hostName).toBe('ft3.cesga.es');
    expect(fs.existsSync(marker)).toBe(false);
    // The same text given to OpenSSH does run it: the test would notice if the marker path were wrong.
    const cfg = path.join(tmp, 'cfg');
    fs.writeFileSync(cfg, text);
    if (spawnSync('ssh', ['-G', '-F', cfg, 'ft3']).error === undefined) expect(fs.existsSync(marker)).toBe(true);
  });

  it('Include: relative to ~/.ssh, globs, and the lines after it stay in the block it was in', () => {
    const home = path.join(tmp, 'home');
    fs.mkdirSync(path.join(home, '.ssh', 'conf.d'), { recursive: true });
    fs.writeFileSync(path.join(home, '.ssh', 'conf.d', 'a.conf'), 'Host lumi\n  HostName lumi.csc.fi\n  User lumi_a\n');
    fs.writeFileSync(path.join(home, '.ssh', 'conf.d', 'b.conf'), 'Host leonardo\n  HostName login.leonardo.cineca.it\n');
    const config = parseSshConfig('Host lumi leonardo\n  Include conf.d/*.conf\n  User after-include\n', { home });
    expect(resolveHost(config, 'lumi', { ...who, home })).toMatchObject({ hostName: 'lumi.csc.fi', user: 'lumi_a' });
    expect(resolveHost(config, 'leonardo', { ...who, home })).toMatchObject({ hostName: 'login.leonardo.cineca.it', user: 'after-include' });
    expect(parseSshConfig('Include nothing-here.conf', { home }).warnings[0]).toMatch(/cannot be read/);
  });

  it('ProxyJump: "none", the value as written, and its syntax parsed (user@host:port, IPv6, ssh://)', () => {
    const config = parseSshConfig('Host a\n  ProxyJump u@gw:2200,gw2\nHost b\n  ProxyJump none\nHost *\n  ProxyJump z\n  UserKnownHostsFile ~/kh1 /etc/kh2\n', who);
    expect(resolveHost(config, 'a', who)).toMatchObject({ proxyJump: 'u@gw:2200,gw2', userKnownHostsFiles: ['/home/ana/kh1', '/etc/kh2'] });
    expect(resolveHost(config, 'b', who).proxyJump).toBeNull();
    expect(parseProxyJump('u@gw:2200,gw2')).toEqual([
      { user: 'u', host: 'gw', port: 2200 },
      { user: null, host: 'gw2', port: null },
    ]);
    expect(parseProxyJump('ssh://me@[::1]:22')).toEqual([{ user: 'me', host: '::1', port: 22 }]);
    expect(parseProxyJump('none')).toEqual([]);
    expect(() => parseProxyJump('gw:99999')).toThrow(/not a ProxyJump host/);
    expect(() => parseProxyJump('@gw')).toThrow(/not a ProxyJump host/);
  });

  it('reads the lab-style config: HostName, Port, User, ProxyJump, IdentityFile from a wildcard block', () => {
    const config = parseSshConfig(
      'Host fluxolab-via-jump\n    HostName 127.0.0.1\n    Port 2222\n    User hpcuser\n    ProxyJump fluxolab-jump\nHost fluxolab-jump\n    HostName 127.0.0.1\n    Port 2224\n    User hpcjump\nHost fluxolab*\n    IdentityFile /lab/id_ed25519\n    UserKnownHostsFile /lab/known_hosts\n',
      who,
    );
    expect(resolveHost(config, 'fluxolab-via-jump', who)).toMatchObject({ hostName: '127.0.0.1', port: 2222, user: 'hpcuser', proxyJump: 'fluxolab-jump', identityFiles: ['/lab/id_ed25519'], userKnownHostsFiles: ['/lab/known_hosts'] });
  });
});
