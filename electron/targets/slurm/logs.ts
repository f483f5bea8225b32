/**
 * Follows one remote log file (a step's .out or .err) as a job writes it, reading only the bytes
 * added since the last look, one read per poll. Text is passed on in whole lines: a line the job
 * is still writing is held until its newline arrives (so a UTF-8 character or a word is never cut),
 * except a very long line without one (a progress bar redrawn with \r), which is passed on as is.
 */

/** null: the file does not exist (yet). Throws when it cannot be read now. */
export type TailReadFile = (path: string, options: { start: number; maxBytes: number }) => Promise<Buffer | null>;

export interface LogTailOptions {
  path: string;
  readFile: TailReadFile;
  /** Whole lines, each ending in "\n" (the last one too, unless flushed by finish()). */
  onText: (text: string) => void;
  /** Called when the file was replaced or truncated (a requeued job starts its log again). */
  onRestart?: () => void;
  /** Most bytes read per poll, so a huge log catches up over several cycles rather than in one. */
  maxBytesPerRead?: number;
  /** A held partial line longer than this is passed on without waiting for its newline. */
  maxHeldBytes?: number;
}

/**
 * Bytes re-read before the new ones, compared with what was read last time: a file that shrank
 * or was rewritten (a requeued job) no longer ends with the same bytes there.
 */
const OVERLAP = 32;

export class LogTail {
  readonly path: string;
  private readonly readFile: TailReadFile;
  private readonly onText: (text: string) => void;
  private readonly onRestart: () => void;
  private readonly maxBytesPerRead: number;
  private readonly maxHeldBytes: number;
  /** Bytes of the file consumed so far (passed on or held). */
  private offset = 0;
  /** The last bytes consumed, to recognise the same file next time. */
  private tail: Buffer = Buffer.alloc(0);
  private held: Buffer = Buffer.alloc(0);
  private reading: Promise<void> | null = null;

  constructor(options: LogTailOptions) {
    this.path = options.path;
    this.readFile = options.readFile;
    this.onText = options.onText;
    this.onRestart = options.onRestart ?? (() => {});
    this.maxBytesPerRead = options.maxBytesPerRead ?? 1024 * 1024;
    this.maxHeldBytes = options.maxHeldBytes ?? 64 * 1024;
  }

  /** Bytes of the file consumed so far. */
  get position(): number {
    return this.offset;
  }

  /**
   * One read: passes on the whole lines added since the last poll. Concurrent calls share the
   * read in progress, so a file is never read twice at once. Rejects when the read fails (the
   * position is kept, so nothing is lost or repeated by the next poll).
   */
  poll(): Promise<void> {
    this.reading ??= this.read().finally(() => {
      this.reading = null;
    });
    return this.reading;
  }

  /** The job ended: reads what is left and passes on a last line without its newline. */
  async finish(): Promise<void> {
    await this.poll();
    if (this.held.length > 0) {
      const text = this.held.toString('utf8');
      this.held = Buffer.alloc(0);
      this.onText(text);
    }
  }

  private async read(): Promise<void> {
    const overlap = Math.min(OVERLAP, this.tail.length, this.offset);
    const start = this.offset - overlap;
    const buf = await this.readFile(this.path, { start, maxBytes: this.maxBytesPerRead + overlap });
    // Not there (yet, or for now): keep the place. Some callers answer null for any failed read,
    // a lost connection too; the overlap check recognises a file that really was replaced.
    if (buf === null) return;
    let fresh: Buffer;
    if (overlap > 0 && (buf.length < overlap || !buf.subarray(0, overlap).equals(this.tail.subarray(this.tail.length - overlap)))) {
      // Shorter than what we had, or different bytes where ours were: a new file. Read it from the start.
      this.restart();
      const again = await this.readFile(this.path, { start: 0, maxBytes: this.maxBytesPerRead });
      if (again === null) return;
      fresh = again;
    } else fresh = buf.subarray(overlap);
    if (fresh.length === 0) return;
    this.offset += fresh.length;
    this.tail = Buffer.concat([this.tail, fresh]).subarray(-OVERLAP);
    this.consume(fresh);
  }

  private restart(): void {
    this.offset = 0;
    this.tail = Buffer.alloc(0);
    this.held = Buffer.alloc(0);
    this.onRestart();
  }

  private consume(fresh: Buffer): void {
    const data = this.held.length > 0 ? Buffer.concat([this.held, fresh]) : fresh;
    const cut = data.lastIndexOf(0x0a) + 1;
    let out = data.subarray(0, cut);
    this.held = Buffer.from(data.subarray(cut));
    if (this.held.length > this.maxHeldBytes) {
      // Cut at a character boundary: never in the middle of a UTF-8 sequence.
      let at = this.held.length;
      while (at > 0 && (this.held[at - 1]! & 0xc0) === 0x80) at--;
      if (at > 0 && this.held[at - 1]! >= 0xc0) at--;
      out = Buffer.concat([out, this.held.subarray(0, at)]);
      this.held = Buffer.from(this.held.subarray(at));
    }
    if (out.length > 0) this.onText(out.toString('utf8'));
  }
}
