import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { RecentFile } from '../../shared/api';
import { writeFileAtomic } from './fsutil';

/** How many files the start screen remembers. */
export const RECENT_LIMIT = 12;

const zRecentList = z.array(z.object({ path: z.string().min(1).max(4096), name: z.string().max(300), openedAt: z.string() })).max(1000);
type Stored = z.infer<typeof zRecentList>[number];

/**
 * The recently opened or saved pipelines, newest first, in <FLUXO_HOME>/recent.json. A damaged
 * file counts as empty: losing the list is better than refusing to start.
 */
export class RecentFiles {
  private readonly file: string;
  // Writes in call order, so two quick saves cannot leave the older list on disk.
  private queue: Promise<unknown> = Promise.resolve();

  constructor(homeDir: string) {
    this.file = path.join(homeDir, 'recent.json');
  }

  private async read(): Promise<Stored[]> {
    try {
      const parsed = zRecentList.safeParse(JSON.parse(await fs.readFile(this.file, 'utf8')));
      return parsed.success ? parsed.data : [];
    } catch {
      return [];
    }
  }

  private update(change: (list: Stored[]) => Stored[]): Promise<void> {
    const next = this.queue.then(async () => {
      const list = change(await this.read()).slice(0, RECENT_LIMIT);
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      await writeFileAtomic(this.file, `${JSON.stringify(list, null, 2)}\n`);
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Puts a file at the top (opened or saved now); `name` is the pipeline's name. */
  add(file: string, name: string, now: Date = new Date()): Promise<void> {
    const abs = path.resolve(file);
    return this.update((list) => [{ path: abs, name, openedAt: now.toISOString() }, ...list.filter((e) => e.path !== abs)]);
  }

  remove(file: string): Promise<void> {
    const abs = path.resolve(file);
    return this.update((list) => list.filter((e) => e.path !== abs));
  }

  /** The list with whether each file is still there, so a moved file is shown as missing. */
  async list(): Promise<RecentFile[]> {
    await this.queue;
    const list = await this.read();
    return Promise.all(
      list.map(async (e) => ({ ...e, exists: await fs.stat(e.path).then((s) => s.isFile(), () => false) })),
    );
  }
}
