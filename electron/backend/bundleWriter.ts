import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Bundle } from '../../shared/compiler';

/** Writes a compiled bundle to a folder and copies the shipped files it needs (block scripts, runtime) into it. */
export async function writeBundle(bundle: Bundle, bundleDir: string, resourcesDir: string): Promise<void> {
  for (const file of bundle.files) {
    const dest = path.join(bundleDir, ...file.path.split('/'));
    await fs.mkdir(path.dirname(dest), { recursive: true });
    await fs.writeFile(dest, file.content, { mode: file.executable ? 0o755 : 0o644 });
  }
  for (const asset of bundle.assets) {
    const dest = path.join(bundleDir, ...asset.path.split('/'));
    await fs.mkdir(path.dirname(dest), { recursive: true });
    await fs.copyFile(path.join(resourcesDir, ...asset.from.split('/')), dest);
  }
}
