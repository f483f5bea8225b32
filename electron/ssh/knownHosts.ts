/**
 * OpenSSH known_hosts, read and written the way `ssh` does, so that a cluster the user already
 * trusts in a terminal is trusted here too (and the other way round), and so that a key that
 * changed is caught whichever tool saw the old one first.
 *
 * Why these rules: a host line matches when one of its patterns matches and none of its negated
 * patterns does (OpenSSH's match_hostname); ports other than 22 are written "[host]:port"; hashed
 * entries ("|1|salt|hmac", from `HashKnownHosts yes` or `ssh-keygen -H`) hide host names, so the
 * only way to find them is to hash the name we look for with each entry's salt. @revoked keys are
 * refused even when nothing else matches; @cert-authority lines are skipped (no certificates here).
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface KnownHostLine {
  file: string;
  /** 1-based, as editors and `ssh-keygen -R` messages count. */
  line: number;
  marker: 'revoked' | null;
  /** The host field as written: "a,b,[c]:2222", or "|1|salt|hash". */
  hosts: string;
  keyType: string;
  key: Buffer;
}

export type HostKeyLookup =
  | { status: 'match'; file: string; line: number }
  | { status: 'changed'; file: string; line: number; revoked: boolean; knownKeyType: string }
  | { status: 'unknown'; otherKeyTypes: string[] };

/** "host" on port 22, "[host]:port" elsewhere: the name known_hosts files the key under. */
export function hostKeyName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** "SHA256:..." as `ssh-keygen -l -E sha256` prints it (base64 without padding). */
export function fingerprintSha256(keyBlob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '');
}

/** The key type inside an SSH public key blob ("ssh-ed25519", "ssh-rsa", ...). */
export function keyTypeOfBlob(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const n = keyBlob.readUInt32BE(0);
  if (n > 64 || 4 + n > keyBlob.length) return 'unknown';
  return keyBlob.subarray(4, 4 + n).toString('latin1');
}

/** Parses one file's text. Lines that cannot be read are skipped, as OpenSSH skips them. */
export function parseKnownHosts(text: string, file: string): KnownHostLine[] {
  const out: KnownHostLine[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] ?? '').trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const fields = raw.split(/\s+/);
    let marker: KnownHostLine['marker'] = null;
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift();
      if (m === '@revoked') marker = 'revoked';
      else continue; // @cert-authority, or a marker we do not know: never trust it as a host key
    }
    const [hosts, keyType, b64] = fields;
    if (hosts === undefined || keyType === undefined || b64 === undefined) continue;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) continue;
    out.push({ file, line: i + 1, marker, hosts, keyType, key: Buffer.from(b64, 'base64') });
  }
  return out;
}

/** OpenSSH's match_pattern: `*` any run, `?` one character; case-insensitive for host names. */
export function matchPattern(name: string, pattern: string): boolean {
  const re = '^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$';
  return new RegExp(re, 'i').test(name);
}

/**
 * A comma list of patterns against one name: a negated pattern that matches rules the line out
 * even when another pattern matched (OpenSSH's match_pattern_list).
 */
export function matchPatternList(name: string, list: string): boolean {
  let matched = false;
  for (const p of list.split(',')) {
    if (p === '') continue;
    if (p.startsWith('!')) {
      if (matchPattern(name, p.slice(1))) return false;
    } else if (matchPattern(name, p)) matched = true;
  }
  return matched;
}

function hashedMatches(hosts: string, name: string): boolean {
  const parts = hosts.split('|');
  // "|1|salt|hash" splits into ["", "1", salt, hash]
  if (parts.length !== 4 || parts[1] !== '1' || !parts[2] || !parts[3]) return false;
  const salt = Buffer.from(parts[2], 'base64');
  const want = Buffer.from(parts[3], 'base64');
  const got = createHmac('sha1', salt).update(name).digest();
  return got.length === want.length && got.equals(want);
}

/** Whether a line's host field names this host:port. */
export function lineMatchesHost(entry: Pick<KnownHostLine, 'hosts'>, host: string, port: number): boolean {
  const name = hostKeyName(host, port);
  if (entry.hosts.startsWith('|')) return hashedMatches(entry.hosts, name);
  return matchPatternList(name, entry.hosts);
}

/** Reads each file that exists; a missing file is an empty one (first contact). */
export function readKnownHosts(files: string[]): KnownHostLine[] {
  const out: KnownHostLine[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw e;
    }
    out.push(...parseKnownHosts(text, file));
  }
  return out;
}

/**
 * What the files say about the key a server showed. A revoked key is refused wherever it is listed;
 * the same key listed for the host is a match; another key of the same type is a change. A host
 * known only under other key types is "unknown" for this type (OpenSSH asks then too), and the
 * types are returned so that the client can prefer them next time.
 */
export function lookupHostKey(entries: KnownHostLine[], host: string, port: number, keyType: string, keyBlob: Buffer): HostKeyLookup {
  for (const e of entries) {
    if (e.marker === 'revoked' && e.key.equals(keyBlob)) return { status: 'changed', file: e.file, line: e.line, revoked: true, knownKeyType: e.keyType };
  }
  const forHost = entries.filter((e) => e.marker === null && lineMatchesHost(e, host, port));
  const same = forHost.find((e) => e.keyType === keyType && e.key.equals(keyBlob));
  if (same) return { status: 'match', file: same.file, line: same.line };
  const changed = forHost.find((e) => e.keyType === keyType);
  if (changed) return { status: 'changed', file: changed.file, line: changed.line, revoked: false, knownKeyType: changed.keyType };
  return { status: 'unknown', otherKeyTypes: [...new Set(forHost.map((e) => e.keyType))] };
}

/** The key types the files know for a host, in file order. */
export function knownKeyTypes(entries: KnownHostLine[], host: string, port: number): string[] {
  return [...new Set(entries.filter((e) => e.marker === null && lineMatchesHost(e, host, port)).map((e) => e.keyType))];
}

/** One known_hosts line, plain ("[host]:port type base64") or hashed like `ssh-keygen -H`. */
export function formatKnownHostsLine(host: string, port: number, keyType: string, keyBlob: Buffer, options: { hashed?: boolean } = {}): string {
  const name = hostKeyName(host, port);
  let field = name;
  if (options.hashed) {
    const salt = randomBytes(20);
    field = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
  }
  return `${field} ${keyType} ${keyBlob.toString('base64')}`;
}

/**
 * Appends a trusted key. The folder is created 0700 and the file 0600 as OpenSSH does (ssh refuses
 * nothing here, but other users must not be able to add keys the user would then trust).
 */
export function appendKnownHost(file: string, host: string, port: number, keyType: string, keyBlob: Buffer, options: { hashed?: boolean } = {}): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const line = formatKnownHostsLine(host, port, keyType, keyBlob, options);
  let prefix = '';
  try {
    const text = fs.readFileSync(file, 'utf8');
    if (text.length > 0 && !text.endsWith('\n')) prefix = '\n';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const fd = fs.openSync(file, 'a', 0o600);
  try {
    fs.writeSync(fd, `${prefix}${line}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
