/**
 * Where a password or passphrase goes when the user asks Fluxo to keep it: only the operating
 * system's keychain, through Electron's safeStorage (passed in: this file must not import
 * electron). When safeStorage would fall back to plain text (Linux without a keyring: backend
 * "basic_text", or "unknown"), storing is refused with a message, and nothing is written: a
 * password in a file anyone with the disk can read is worse than asking again.
 *
 * The file holds only ciphertext (base64) by key, replaced atomically (write, fsync, rename) so
 * that a crash never leaves half a file.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface SecretStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

/** For the CLI and the browser host: secrets live as long as the process, nowhere else. */
export class MemorySecretStore implements SecretStore {
  private readonly values = new Map<string, string>();
  async get(key: string): Promise<string | null> {
    return this.values.get(key) ?? null;
  }
  async set(key: string, value: string): Promise<void> {
    this.values.set(key, value);
  }
  async delete(key: string): Promise<void> {
    this.values.delete(key);
  }
}

/** The part of Electron's safeStorage this store uses. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only in Electron: "basic_text" and "unknown" mean no real keychain. */
  getSelectedStorageBackend?(): string;
}

export class SecretStorageUnavailableError extends Error {
  override name = 'SecretStorageUnavailableError';
}

const PLAIN_TEXT_BACKENDS = new Set(['basic_text', 'unknown']);

export class SafeStorageSecretStore implements SecretStore {
  constructor(
    private readonly safeStorage: SafeStorageLike,
    /** The JSON file of ciphertexts, e.g. <userData>/secrets.json. */
    private readonly file: string,
    private readonly platform: NodeJS.Platform = process.platform,
  ) {}

  /** Why secrets cannot be kept here, or null when they can. */
  unavailableReason(): string | null {
    if (!this.safeStorage.isEncryptionAvailable()) return 'the operating system offers no keychain to encrypt it with';
    if (this.platform === 'linux') {
      const backend = this.safeStorage.getSelectedStorageBackend?.() ?? 'unknown';
      if (PLAIN_TEXT_BACKENDS.has(backend)) return `no keyring (such as GNOME Keyring or KWallet) is running, so it would be stored as plain text (backend "${backend}")`;
    }
    return null;
  }

  private read(): Record<string, string> {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw e;
    }
    const data: unknown = JSON.parse(text);
    if (typeof data !== 'object' || data === null || Array.isArray(data)) return {};
    return Object.fromEntries(Object.entries(data).filter((e): e is [string, string] => typeof e[1] === 'string'));
  }

  private write(data: Record<string, string>): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, JSON.stringify(data, null, 2) + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
  }

  async get(key: string): Promise<string | null> {
    if (this.unavailableReason() !== null) return null;
    const b64 = this.read()[key];
    if (b64 === undefined) return null;
    try {
      return this.safeStorage.decryptString(Buffer.from(b64, 'base64'));
    } catch {
      // Encrypted under another keychain (a copied profile): as good as absent; it will be asked for.
      return null;
    }
  }

  async set(key: string, value: string): Promise<void> {
    const why = this.unavailableReason();
    if (why !== null) throw new SecretStorageUnavailableError(`Fluxo did not save the password: ${why}. It will be asked for when needed.`);
    const data = this.read();
    data[key] = this.safeStorage.encryptString(value).toString('base64');
    this.write(data);
  }

  async delete(key: string): Promise<void> {
    const data = this.read();
    if (!(key in data)) return;
    delete data[key];
    this.write(data);
  }
}
