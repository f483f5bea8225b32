// @vitest-environment node
/**
 * Secret storage: only ciphertext on disk, and nothing at all when the keychain would fall back to
 * plain text. Electron cannot run here, so safeStorage is a stand-in with Electron's shape that
 * "encrypts" reversibly; what is tested is this store's own behaviour around it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SafeStorageLike } from './secrets';
import { MemorySecretStore, SafeStorageSecretStore, SecretStorageUnavailableError } from './secrets';

function fakeSafeStorage(opts: { available?: boolean; backend?: string } = {}): SafeStorageLike {
  return {
    isEncryptionAvailable: () => opts.available ?? true,
    encryptString: (s) => Buffer.from(`enc:${Buffer.from(s).reverse().toString('latin1')}`, 'latin1'),
    decryptString: (b) => {
      const t = b.toString('latin1');
      if (!t.startsWith('enc:')) throw new Error('not ours');
      return Buffer.from(t.slice(4), 'latin1').reverse().toString();
    },
    getSelectedStorageBackend: () => opts.backend ?? 'gnome_libsecret',
  };
}

describe('secret stores', () => {
  let tmp = '';
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxo-secrets-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('memory: set, get, delete', async () => {
    const s = new MemorySecretStore();
    await s.set('k', 'v');
    expect(await s.get('k')).toBe('v');
    await s.delete('k');
    expect(await s.get('k')).toBeNull();
  });

  it('safeStorage: round trip through the file, which holds only ciphertext, 0600', async () => {
    const file = path.join(tmp, 'ok', 'secrets.json');
    const s = new SafeStorageSecretStore(fakeSafeStorage(), file, 'linux');
    await s.set('ana@ft3.cesga.es:22', 'my password');
    await s.set('other', 'x');
    expect(fs.readFileSync(file, 'utf8')).not.toContain('my password');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    // A new store on the same file (the next start of the app) reads it back.
    const again = new SafeStorageSecretStore(fakeSafeStorage(), file, 'linux');
    expect(await again.get('ana@ft3.cesga.es:22')).toBe('my password');
    await again.delete('ana@ft3.cesga.es:22');
    expect(await again.get('ana@ft3.cesga.es:22')).toBeNull();
    expect(await again.get('other')).toBe('x');
    expect(fs.readdirSync(path.dirname(file))).toEqual(['secrets.json']);
  });

  it.each([
    ['no encryption at all', { available: false }, 'darwin'],
    ['Linux without a keyring (basic_text)', { backend: 'basic_text' }, 'linux'],
    ['Linux, backend unknown', { backend: 'unknown' }, 'linux'],
  ] as Array<[string, { available?: boolean; backend?: string }, NodeJS.Platform]>)('refuses to store when %s, and writes nothing', async (what, opts, platform) => {
    const file = path.join(tmp, `refused-${what.replace(/\W+/g, '-')}`, 'secrets.json');
    const s = new SafeStorageSecretStore(fakeSafeStorage(opts), file, platform);
    const err = await s.set('k', 'my password').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretStorageUnavailableError);
    expect((err as Error).message).toMatch(/did not save the password/);
    expect((err as Error).message).not.toContain('my password');
    expect(fs.existsSync(file)).toBe(false);
  });

  it('basic_text is only a problem on Linux (other systems report no backend)', async () => {
    const file = path.join(tmp, 'mac', 'secrets.json');
    const s = new SafeStorageSecretStore(fakeSafeStorage({ backend: 'unknown' }), file, 'darwin');
    await s.set('k', 'v');
    expect(await s.get('k')).toBe('v');
  });

  it('a ciphertext this keychain cannot decrypt is treated as absent (asked again), not as an error', async () => {
    const file = path.join(tmp, 'foreign', 'secrets.json');
    fs.mkdirSync(path.dirname(file));
    fs.writeFileSync(file, JSON.stringify({ k: Buffer.from('from another machine').toString('base64') }));
    expect(await new SafeStorageSecretStore(fakeSafeStorage(), file, 'linux').get('k')).toBeNull();
  });
});
