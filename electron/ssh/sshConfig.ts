/**
 * Reads the user's ~/.ssh/config so that a cluster they already reach with `ssh ft3` can be used by
 * naming the same Host: HostName, User, Port, IdentityFile, ProxyJump and UserKnownHostsFile,
 * with OpenSSH's rules (the first value found wins; IdentityFile accumulates; %-tokens expanded).
 *
 * What it deliberately does not do: `Match` blocks are skipped, never evaluated, because
 * `Match exec` runs a shell command and reading a config must never run anything. ProxyCommand is
 * reported, not run. Include is followed (relative to ~/.ssh, with * and ? in the last part), to a
 * depth of 16 as OpenSSH allows.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { matchPattern } from './knownHosts';

export interface SshConfigOption {
  /** Lower case: OpenSSH keywords are case-insensitive. */
  key: string;
  values: string[];
  file: string;
  line: number;
}

export interface SshConfigBlock {
  /** Host patterns; null: the lines before the first Host, which apply to every host. */
  patterns: string[] | null;
  /** A Match block: kept so that its options are known to be ignored, never applied. */
  skipped: boolean;
  options: SshConfigOption[];
}

export interface SshConfig {
  blocks: SshConfigBlock[];
  /** Include lines that named files which could not be read, and other things worth a warning. */
  warnings: string[];
}

export interface ParseOptions {
  /** For messages, and for relative Include paths of system configs. */
  file?: string;
  /** The user's home (default os.homedir()): Include paths are relative to ~/.ssh. */
  home?: string;
  /** Reads an included file; null when it does not exist. Default: the real file system. */
  readFile?: (file: string) => string | null;
  /** Lists a folder, for Include globs. Default: the real file system. */
  listDir?: (dir: string) => string[];
}

const MAX_INCLUDE_DEPTH = 16;

/** Splits a config line into words: double quotes group, an unquoted # starts a comment. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length || line[i] === '#') break;
    let word = '';
    let quoted = false;
    while (i < line.length && (quoted || !/\s/.test(line[i]!))) {
      const ch = line[i]!;
      if (ch === '"') quoted = !quoted;
      else word += ch;
      i++;
    }
    words.push(word);
  }
  return words;
}

function defaultReadFile(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function defaultListDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** Parses config text (and what it includes) into blocks, in order. */
export function parseSshConfig(text: string, options: ParseOptions = {}): SshConfig {
  const home = options.home ?? os.homedir();
  const readFile = options.readFile ?? defaultReadFile;
  const listDir = options.listDir ?? defaultListDir;
  const config: SshConfig = { blocks: [], warnings: [] };

  const expandInclude = (pattern: string): string[] => {
    let p = pattern.startsWith('~/') ? path.join(home, pattern.slice(2)) : pattern;
    if (!path.isAbsolute(p)) p = path.join(home, '.ssh', p);
    const base = path.basename(p);
    if (!/[*?]/.test(base)) return [p];
    const dir = path.dirname(p);
    return listDir(dir)
      .filter((name) => !name.startsWith('.') && matchPattern(name, base))
      .sort()
      .map((name) => path.join(dir, name));
  };

  const parse = (source: string, file: string, depth: number, patterns: string[] | null, skipped: boolean) => {
    let block: SshConfigBlock = { patterns, skipped, options: [] };
    config.blocks.push(block);
    const lines = source.split(/\r?\n/);
    for (let n = 0; n < lines.length; n++) {
      const raw = lines[n]!.trim();
      if (raw === '' || raw.startsWith('#')) continue;
      // "Key=Value" and "Key = Value" are allowed as well as "Key Value".
      const m = /^([A-Za-z][A-Za-z0-9]*)(?:\s*=\s*|\s+|$)(.*)$/.exec(raw);
      if (!m) continue;
      const key = m[1]!.toLowerCase();
      const values = splitWords(m[2] ?? '');
      if (key === 'host') {
        block = { patterns: values, skipped: false, options: [] };
        config.blocks.push(block);
      } else if (key === 'match') {
        // Never evaluated: "Match exec" would run a command.
        block = { patterns: null, skipped: true, options: [] };
        config.blocks.push(block);
      } else if (key === 'include') {
        if (block.skipped) continue;
        if (depth >= MAX_INCLUDE_DEPTH) {
          config.warnings.push(`${file} line ${n + 1}: Include nested more than ${MAX_INCLUDE_DEPTH} deep, ignored`);
          continue;
        }
        for (const value of values) {
          const files = expandInclude(value);
          for (const inc of files) {
            const body = readFile(inc);
            if (body === null) {
              if (!/[*?]/.test(value)) config.warnings.push(`${file} line ${n + 1}: Include ${inc} cannot be read`);
              continue;
            }
            parse(body, inc, depth + 1, block.patterns, false);
          }
        }
        // Lines after the Include belong to the block it was in, whatever Host lines it held.
        block = { patterns: block.patterns, skipped: false, options: [] };
        config.blocks.push(block);
      } else if (values.length > 0) {
        block.options.push({ key, values, file, line: n + 1 });
      }
    }
  };
  parse(text, options.file ?? path.join(home, '.ssh', 'config'), 0, null, false);
  config.blocks = config.blocks.filter((b) => b.options.length > 0 || b.skipped);
  return config;
}

/** Whether a Host line's patterns select this name: any pattern matches and no negated one does. */
export function hostMatches(patterns: string[], name: string): boolean {
  let matched = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (matchPattern(name, p.slice(1))) return false;
    } else if (matchPattern(name, p)) matched = true;
  }
  return matched;
}

export interface ResolvedHost {
  alias: string;
  hostName: string;
  /** null: not set; the caller falls back to the local user name, as ssh does. */
  user: string | null;
  port: number;
  /** Absolute paths, tokens expanded; empty when the config names none. */
  identityFiles: string[];
  /** The ProxyJump value as written ("user@host:port,host2"); null when none. */
  proxyJump: string | null;
  /** Set but never run: Fluxo does not execute ProxyCommand. */
  proxyCommand: string | null;
  userKnownHostsFiles: string[];
  /** Whether any Host block other than "*" named this alias (it is a known host of the config). */
  known: boolean;
}

export interface ResolveOptions {
  home?: string;
  localUser?: string;
  localHost?: string;
}

/**
 * OpenSSH's percent tokens (ssh_config TOKENS): %% %d %h %i %l %n %p %r %u. An unknown token is
 * left as written rather than guessed.
 */
export function expandTokens(value: string, t: { home: string; localUser: string; localHost: string; hostName: string; alias: string; port: number; remoteUser: string }): string {
  let v = value;
  if (v === '~' || v.startsWith('~/')) v = t.home + v.slice(1);
  return v.replace(/%([%dhilnpru])/g, (_all, c: string) => {
    switch (c) {
      case '%':
        return '%';
      case 'd':
        return t.home;
      case 'h':
        return t.hostName;
      case 'i':
        return String(process.getuid?.() ?? '');
      case 'l':
        return t.localHost;
      case 'n':
        return t.alias;
      case 'p':
        return String(t.port);
      case 'r':
        return t.remoteUser;
      default:
        return t.localUser;
    }
  });
}

/** What `ssh alias` would use, from the blocks that match the alias (the first value of each option wins). */
export function resolveHost(config: SshConfig, alias: string, options: ResolveOptions = {}): ResolvedHost {
  const home = options.home ?? os.homedir();
  const localUser = options.localUser ?? os.userInfo().username;
  const localHost = options.localHost ?? os.hostname();
  const first = new Map<string, string[]>();
  const identity: string[] = [];
  let known = false;
  for (const block of config.blocks) {
    if (block.skipped) continue;
    if (block.patterns !== null) {
      if (!hostMatches(block.patterns, alias)) continue;
      if (block.patterns.some((p) => !p.startsWith('!') && p !== '*')) known = true;
    }
    for (const o of block.options) {
      if (o.key === 'identityfile') identity.push(o.values.join(' '));
      else if (!first.has(o.key)) first.set(o.key, o.values);
    }
  }
  const one = (key: string) => first.get(key)?.join(' ') ?? null;
  const hostName = (one('hostname') ?? alias).replace(/%([%h])/g, (_a, c: string) => (c === 'h' ? alias : '%'));
  const portText = one('port');
  const port = portText !== null && /^\d+$/.test(portText) && +portText > 0 && +portText < 65536 ? +portText : 22;
  const user = one('user');
  const tokens = { home, localUser, localHost, hostName, alias, port, remoteUser: user ?? localUser };
  const jump = one('proxyjump');
  const command = one('proxycommand');
  const knownFiles = first.get('userknownhostsfile') ?? [];
  return {
    alias,
    hostName,
    user: user === null ? null : expandTokens(user, tokens),
    port,
    identityFiles: identity.filter((f) => f.toLowerCase() !== 'none').map((f) => expandTokens(f, tokens)),
    proxyJump: jump === null || jump.toLowerCase() === 'none' ? null : jump,
    proxyCommand: command === null || command.toLowerCase() === 'none' ? null : command,
    userKnownHostsFiles: knownFiles.length === 1 && knownFiles[0]!.toLowerCase() === 'none' ? [] : knownFiles.map((f) => expandTokens(f, tokens)),
    known,
  };
}

export interface JumpSpec {
  user: string | null;
  host: string;
  port: number | null;
}

/**
 * ProxyJump syntax: "[user@]host[:port]" or "ssh://[user@]host[:port]", comma-separated, IPv6 in
 * brackets. "none" is no jump. Throws with the offending part when it cannot be read.
 */
export function parseProxyJump(text: string): JumpSpec[] {
  const t = text.trim();
  if (t === '' || t.toLowerCase() === 'none') return [];
  return t.split(',').map((part) => {
    let s = part.trim().replace(/^ssh:\/\//, '');
    let user: string | null = null;
    const at = s.lastIndexOf('@');
    if (at >= 0) {
      user = s.slice(0, at);
      s = s.slice(at + 1);
    }
    let host = s;
    let port: number | null = null;
    const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
    if (v6) {
      host = v6[1]!;
      if (v6[2] !== undefined) port = +v6[2];
    } else {
      const hp = /^([^:]+):(\d+)$/.exec(s);
      if (hp) {
        host = hp[1]!;
        port = +hp[2]!;
      }
    }
    if (host === '' || /[\s/]/.test(host) || (host.includes(':') && !v6) || (user !== null && user === '') || (port !== null && (port < 1 || port > 65535))) {
      throw new Error(`"${part.trim()}" is not a ProxyJump host: write [user@]host[:port], several separated by commas`);
    }
    return { user, host, port };
  });
}
