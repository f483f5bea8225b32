import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeBundle, newRoot } from './testBundle';
import { describeMissingTools, findMissingTools, whichTool } from './tools';

const root = newRoot();
afterAll(() => rmSync(root, { recursive: true, force: true }));

function withTools(tools: Record<string, string[]>) {
  const b = makeBundle(
    root,
    Object.keys(tools).map((id) => ({ id, body: 'true' })),
  );
  for (const s of b.manifest.steps) s.environment.tools = tools[s.id]!;
  return b.manifest;
}

describe('whichTool', () => {
  it('finds an executable on PATH and passes over a file that is not executable', async () => {
    const a = path.join(root, 'bin-a');
    const b = path.join(root, 'bin-b');
    mkdirSync(a);
    mkdirSync(b);
    writeFileSync(path.join(a, 'mytool'), 'not executable');
    writeFileSync(path.join(b, 'mytool'), '#!/bin/sh\n');
    chmodSync(path.join(b, 'mytool'), 0o755);
    expect(await whichTool('mytool', { PATH: [a, b].join(path.delimiter) })).toBe(path.join(b, 'mytool'));
    expect(await whichTool('mytool', { PATH: a })).toBeNull();
    expect(await whichTool('mytool', {})).toBeNull();
  });
});

describe('findMissingTools', () => {
  it('passes when every tool of a system environment is installed (the real fastp and bwa)', async () => {
    expect(await findMissingTools(withTools({ qc: ['fastp'], align: ['bwa', 'bash'] }))).toEqual([]);
  });

  it('names each missing tool, the steps that need it and the Debian package', async () => {
    const manifest = withTools({ qc: ['fastp', 'fluxo-no-such-tool'], index: ['bgzip'], call: ['fluxo-no-such-tool'] });
    // A PATH holding only the real fastp, so the answer does not depend on what else is installed.
    const bin = path.join(root, 'bin-fastp');
    mkdirSync(bin);
    symlinkSync((await whichTool('fastp'))!, path.join(bin, 'fastp'));
    const missing = await findMissingTools(manifest, { PATH: bin });
    expect(missing).toEqual([
      { tool: 'fluxo-no-such-tool', usedBy: ['qc', 'call'], apt: 'fluxo-no-such-tool' },
      { tool: 'bgzip', usedBy: ['index'], apt: 'tabix' },
    ]);
    const labels: Record<string, string> = { qc: 'FASTQ quality control', index: 'Index variants', call: 'Call variants' };
    const text = describeMissingTools(missing, (id) => labels[id] ?? id);
    expect(text.message).toBe(
      'Programs this pipeline needs are not installed on this computer: fluxo-no-such-tool (needed by FASTQ quality control, Call variants); bgzip (needed by Index variants)',
    );
    expect(text.hint).toBe('Install them with: sudo apt install fluxo-no-such-tool tabix (Debian/Ubuntu), or put them on PATH before starting Fluxo.');
    expect(describeMissingTools([missing[1]!], (id) => labels[id] ?? id)).toEqual({
      message: 'A program this pipeline needs is not installed on this computer: bgzip (needed by Index variants)',
      hint: 'Install it with: sudo apt install tabix (Debian/Ubuntu), or put it on PATH before starting Fluxo.',
    });
  });

  it('checks only system environments', async () => {
    const manifest = withTools({ train: ['fluxo-no-such-tool'] });
    manifest.steps[0]!.environment.kind = 'container';
    expect(await findMissingTools(manifest)).toEqual([]);
  });
});
