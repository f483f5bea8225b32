import { describe, expect, it } from 'vitest';
import { LogTail } from './logs';

/** A remote file the test writes to, and every read made of it. */
function remoteFile() {
  const state = { content: null as Buffer | null, reads: [] as Array<{ start: number; maxBytes: number }>, fail: false };
  const readFile = async (_path: string, o: { start: number; maxBytes: number }) => {
    state.reads.push(o);
    if (state.fail) throw new Error('connection lost');
    if (state.content === null) return null;
    return state.content.subarray(o.start, o.start + o.maxBytes);
  };
  return {
    state,
    readFile,
    write: (text: string | Buffer) => {
      state.content = Buffer.concat([state.content ?? Buffer.alloc(0), Buffer.from(text)]);
    },
    replace: (text: string) => {
      state.content = Buffer.from(text);
    },
  };
}

function tail(file: ReturnType<typeof remoteFile>, extra: { maxBytesPerRead?: number; maxHeldBytes?: number } = {}) {
  const out: string[] = [];
  let restarts = 0;
  const t = new LogTail({ path: '/home/u/run/logs/train.out', readFile: file.readFile, onText: (s) => out.push(s), onRestart: () => restarts++, ...extra });
  return { t, out, restarts: () => restarts };
}

describe('LogTail', () => {
  it('passes on only new whole lines, one read per poll', async () => {
    const f = remoteFile();
    const { t, out } = tail(f);
    await t.poll(); // not created yet
    expect(out).toEqual([]);
    f.write('epoch 1\nepoch 2\nepo');
    await t.poll();
    expect(out).toEqual(['epoch 1\nepoch 2\n']);
    f.write('ch 3\n');
    await t.poll();
    expect(out).toEqual(['epoch 1\nepoch 2\n', 'epoch 3\n']);
    await t.poll(); // nothing new
    expect(out).toHaveLength(2);
    expect(f.state.reads).toHaveLength(4);
    // Each read starts near the end (a few bytes back, to recognise the file): never the whole file again.
    f.write(`${'x'.repeat(200)}\n`);
    await t.poll();
    await t.poll();
    expect(f.state.reads.at(-1)!.start).toBe(f.state.content!.length - 32);
  });

  it('never cuts a UTF-8 character written in two pieces', async () => {
    const f = remoteFile();
    const { t, out } = tail(f);
    const bytes = Buffer.from('température 37 °C\n');
    f.write(bytes.subarray(0, 5)); // "temp" and the first of the two bytes of "é"
    await t.poll();
    f.write(bytes.subarray(5));
    await t.poll();
    expect(out.join('')).toBe('température 37 °C\n');
  });

  it('starts again when the file is replaced or truncated (a requeued job)', async () => {
    const f = remoteFile();
    const { t, out, restarts } = tail(f);
    f.write('first attempt line 1\nfirst attempt line 2\n');
    await t.poll();
    f.replace('second\n');
    await t.poll();
    expect(out).toEqual(['first attempt line 1\nfirst attempt line 2\n', 'second\n']);
    expect(restarts()).toBe(1);
    // Same length, other content: also a new file.
    f.replace('SECOND\nmore\n');
    await t.poll();
    expect(out.at(-1)).toBe('SECOND\nmore\n');
    expect(restarts()).toBe(2);
  });

  it('a read answered "missing" for a while (a flaky connection) repeats nothing once the file is back', async () => {
    const f = remoteFile();
    const { t, out, restarts } = tail(f);
    f.write('line 1\n');
    await t.poll();
    const saved = f.state.content;
    f.state.content = null;
    await t.poll();
    f.state.content = saved;
    f.write('line 2\n');
    await t.poll();
    expect(out).toEqual(['line 1\n', 'line 2\n']);
    expect(restarts()).toBe(0);
  });

  it('keeps its place when a read fails, so nothing is lost or repeated', async () => {
    const f = remoteFile();
    const { t, out } = tail(f);
    f.write('a\n');
    await t.poll();
    f.state.fail = true;
    f.write('b\n');
    await expect(t.poll()).rejects.toThrow('connection lost');
    f.state.fail = false;
    await t.poll();
    expect(out).toEqual(['a\n', 'b\n']);
  });

  it('catches up on a large log over several polls, and flushes a long line without a newline', async () => {
    const f = remoteFile();
    const { t, out } = tail(f, { maxBytesPerRead: 10, maxHeldBytes: 15 });
    f.write('0123456789abcdefghij\nxy\n');
    await t.poll();
    expect(out).toEqual([]);
    await t.poll();
    // 20 characters without a newline went past maxHeldBytes: passed on rather than held forever.
    expect(out.join('')).toBe('0123456789abcdefghij');
    await t.poll();
    expect(out.join('')).toBe('0123456789abcdefghij\nxy\n');
  });

  it('finish() passes on a last line without a newline', async () => {
    const f = remoteFile();
    const { t, out } = tail(f);
    f.write('done\nexit');
    await t.poll();
    await t.finish();
    expect(out).toEqual(['done\n', 'exit']);
  });

  it('concurrent polls share one read', async () => {
    const f = remoteFile();
    const { t } = tail(f);
    f.write('x\n');
    await Promise.all([t.poll(), t.poll(), t.poll()]);
    expect(f.state.reads).toHaveLength(1);
  });
});
