import { describe, expect, it } from 'vitest';
import { browserOpener, cookieValues, isAllowedHost, isAllowedOrigin, newToken, parsePort, tokenMatches } from './web';

describe('newToken', () => {
  it('is 32 random bytes in base64url (43 characters, URL-safe), new every time', () => {
    const a = newToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
    expect(newToken()).not.toBe(a);
  });
});

describe('tokenMatches', () => {
  const token = newToken();
  it('accepts the token and nothing else', () => {
    expect(tokenMatches(token, token)).toBe(true);
    expect(tokenMatches(`${token}x`, token)).toBe(false);
    expect(tokenMatches(token.slice(1), token)).toBe(false);
    expect(tokenMatches('', token)).toBe(false);
    expect(tokenMatches(null, token)).toBe(false);
    expect(tokenMatches(undefined, token)).toBe(false);
  });
});

describe('cookieValues', () => {
  it('finds every value of a cookie', () => {
    expect(cookieValues('a=1; fluxo_token=abc; b=2; fluxo_token=def', 'fluxo_token')).toEqual(['abc', 'def']);
    expect(cookieValues('xfluxo_token=abc', 'fluxo_token')).toEqual([]);
    expect(cookieValues(undefined, 'fluxo_token')).toEqual([]);
    expect(cookieValues('garbage', 'fluxo_token')).toEqual([]);
  });
});

describe('isAllowedHost (DNS rebinding guard)', () => {
  it('accepts the two loopback names with our port', () => {
    expect(isAllowedHost('127.0.0.1:4242', 4242)).toBe(true);
    expect(isAllowedHost('localhost:4242', 4242)).toBe(true);
    expect(isAllowedHost('LOCALHOST:4242', 4242)).toBe(true);
  });
  it.each(['evil.example:4242', '127.0.0.1:4243', '127.0.0.1', 'localhost', '[::1]:4242', '127.0.0.1:4242.evil.example', '0.0.0.0:4242', ''])('refuses %j', (h) => {
    expect(isAllowedHost(h, 4242)).toBe(false);
  });
  it('refuses a request without Host', () => expect(isAllowedHost(undefined, 4242)).toBe(false));
});

describe('isAllowedOrigin', () => {
  it('accepts no Origin (not a browser request) and our own origin', () => {
    expect(isAllowedOrigin(undefined, 4242)).toBe(true);
    expect(isAllowedOrigin('http://127.0.0.1:4242', 4242)).toBe(true);
    expect(isAllowedOrigin('http://localhost:4242', 4242)).toBe(true);
  });
  it.each(['http://evil.example', 'http://127.0.0.1:4243', 'https://127.0.0.1:4242', 'null', 'app://fluxo', 'http://127.0.0.1:4242.evil.example', ''])('refuses %j', (o) => {
    expect(isAllowedOrigin(o, 4242)).toBe(false);
  });
});

describe('parsePort', () => {
  it('reads FLUXO_PORT', () => {
    expect(parsePort(undefined)).toBeUndefined();
    expect(parsePort('')).toBeUndefined();
    expect(parsePort('0')).toBe(0);
    expect(parsePort('8080')).toBe(8080);
  });
  it.each(['abc', '-1', '65536', '80.5', '1e9'])('explains that %j is not a port', (v) => {
    expect(parsePort(v)).toEqual({ error: expect.stringContaining('FLUXO_PORT') });
  });
});

describe('browserOpener', () => {
  const url = 'http://127.0.0.1:4242/?token=abc';
  it('uses the platform opener', () => {
    expect(browserOpener('darwin', url, {})).toEqual({ command: 'open', args: [url] });
    expect(browserOpener('linux', url, { DISPLAY: ':0' })).toEqual({ command: 'xdg-open', args: [url] });
    expect(browserOpener('linux', url, { WAYLAND_DISPLAY: 'wayland-0' })).toEqual({ command: 'xdg-open', args: [url] });
    expect(browserOpener('win32', url, {})?.command).toBe('cmd');
  });
  it('does nothing on a machine without a display (SSH, CI, containers)', () => {
    expect(browserOpener('linux', url, {})).toBeNull();
  });
});
