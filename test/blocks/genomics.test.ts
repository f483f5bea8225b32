/**
 * The genomics blocks (synthetic-reads, fastq-qc-trim, align-bwa, sort-index-bam, call-variants,
 * variant-summary) and the variant-calling example, run for real: the example's steps run in order
 * with the argv their block.yaml templates produce, on the reads Synthetic reads makes (a 20 kb
 * genome, 2,000 read pairs, 20 planted SNVs), and every check reads the files the tools wrote,
 * often with samtools or bcftools themselves.
 *
 * Needs Python 3 with numpy (and pandas, matplotlib, pysam for Variant summary) and the Debian
 * tools fastp, bwa, samtools and bcftools; without them the tests that need them are skipped with
 * a printed reason.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParamValue, PipelineDocument } from '../../shared/document';
import { parseDocument, serializeDocument } from '../../shared/document';
import { validatePipeline } from '../../shared/validate';
import type { StepRun } from './harness';
import { BLOCKS_DIR, EXAMPLES_DIR, PNG_SIGNATURE, blockOf, catalog, column, expectError, findPython, hasTool, readCsv, runBlock } from './harness';

const EXAMPLE = path.join(EXAMPLES_DIR, 'variant-calling.fluxo');
const TOOLS = ['fastp', 'bwa', 'samtools', 'bcftools'];
const ADAPTER = 'AGATCGGAAGAGC';

const readsPython = findPython(['numpy']);
const summaryPython = findPython(['numpy', 'pandas', 'matplotlib', 'pysam']);
const missingTools = TOOLS.filter((t) => !hasTool(t));
const python = summaryPython.python ?? readsPython.python;
const canMakeReads = readsPython.python !== null;
const canRunChain = summaryPython.python !== null && missingTools.length === 0;
const chainSkip = [summaryPython.python ? '' : summaryPython.reason, missingTools.length ? `missing tools: ${missingTools.join(', ')}` : '']
  .filter(Boolean)
  .join('; ');
if (!canMakeReads) console.warn(`Skipping the Synthetic reads tests: ${readsPython.reason}`);
if (!canRunChain) console.warn(`Skipping the genomics pipeline tests: ${chainSkip}`);

/** Runs a command-line tool and returns its standard output; fails the test when it fails. */
function tool(program: string, ...args: string[]): string {
  const r = spawnSync(program, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${program} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** The text of a file, gunzipped when it is gzip/bgzip-compressed. */
function text(file: string): string {
  const bytes = fs.readFileSync(file);
  return (bytes[0] === 0x1f && bytes[1] === 0x8b ? zlib.gunzipSync(bytes) : bytes).toString('utf8');
}

interface FastqRecord {
  name: string;
  sequence: string;
  quality: string;
}

function fastq(file: string): FastqRecord[] {
  const lines = text(file).split('\n');
  const records: FastqRecord[] = [];
  for (let i = 0; i + 3 < lines.length; i += 4) {
    records.push({ name: lines[i] ?? '', sequence: lines[i + 1] ?? '', quality: lines[i + 3] ?? '' });
  }
  return records;
}

/** VCF records as [chrom, pos, ref, alt, filter, genotype of the first sample], one per ALT allele. */
function vcfAlleles(file: string): Array<{ key: string; pos: number; filter: string; genotype: string }> {
  return text(file)
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .flatMap((l) => {
      const f = l.split('\t');
      const genotype = f[9]?.split(':')[0] ?? '';
      return (f[4] ?? '').split(',').map((alt) => ({ key: `${f[0]}:${f[1]}:${f[3]}>${alt}`, pos: Number(f[1]), filter: f[6] ?? '', genotype }));
    });
}

function flagstat(file: string): Record<string, number> {
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, Record<string, number>>)['QC-passed reads'] ?? {};
}

/** A step that failed on purpose: status 2 and, as the last line of its messages, a plain "error: ...". */
function expectLastError(run: Pick<StepRun, 'status' | 'stderr'>, mentions: string): void {
  expect(run.status, run.stderr).toBe(2);
  const last = run.stderr.trim().split('\n').at(-1) ?? '';
  expect(last).toMatch(/^error: /);
  expect(last).toContain(mentions);
  expect(run.stderr).not.toContain('Traceback');
}

describe('variant-calling example', () => {
  const source = fs.readFileSync(EXAMPLE, 'utf8');
  const parsed = parseDocument(source);

  it('parses, round-trips byte-identically and validates without problems', () => {
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(serializeDocument(parsed.document)).toBe(source);
    expect(validatePipeline(parsed.document, catalog)).toEqual([]);
    expect(parsed.document.steps.map((s) => s.type)).toEqual(['synthetic-reads', 'fastq-qc-trim', 'align-bwa', 'sort-index-bam', 'call-variants', 'variant-summary']);
    expect(parsed.document.connections).toHaveLength(10);
    // The truth goes straight from the generator to the summary, which compares the calls with it.
    expect(parsed.document.connections).toContainEqual({ from: { step: 'reads', port: 'truth' }, to: { step: 'summary', port: 'truth' } });
    expect(parsed.document.metadata.description.length).toBeGreaterThan(100);
  });

  it('declares software every cluster can provide: system tools, modules and a pinned container per tool block', () => {
    for (const id of ['fastq-qc-trim', 'align-bwa', 'sort-index-bam', 'call-variants']) {
      const block = blockOf(catalog, id);
      expect(block.command[0], id).toBe('bash');
      expect(block.domain).toBe('genomics');
      const kinds = block.software.environments.map((e) => e.kind);
      expect(kinds, id).toEqual(['system', 'modules', 'container']);
      const system = block.software.environments[0];
      const modules = block.software.environments[1];
      const container = block.software.environments[2];
      if (system?.kind !== 'system' || modules?.kind !== 'modules' || container?.kind !== 'container') throw new Error(id);
      expect(modules.packages, id).toEqual(system.tools);
      // A pinned tag, never "latest": the bundle must run the same software next year.
      expect(container.image, id).toMatch(/^docker:\/\/quay\.io\/biocontainers\/[a-z0-9-]+:[\w.]+--?[\w]+$/);
      // bwa and samtools run in one step: a single tool's image would lack the other.
      if (system.tools.length > 1) expect(container.image, id).toContain('mulled-v2-');
      for (const file of block.files) {
        const script = path.join(BLOCKS_DIR, id, file);
        const [program, args] = hasTool('shellcheck') ? ['shellcheck', ['-S', 'warning', script]] as const : ['bash', ['-n', script]] as const;
        const lint = spawnSync(program, args, { encoding: 'utf8' });
        expect(lint.status, `${id}/${file}: ${lint.stdout}${lint.stderr}`).toBe(0);
      }
    }
  });
});

describe('genomics blocks', () => {
  let tmp = '';
  const results: Record<string, StepRun> = {};
  const timings: Record<string, number> = {};
  let doc: PipelineDocument | null = null;

  const run = (blockId: string, stepDir: string, params?: Record<string, ParamValue>, inputs?: Record<string, string>): StepRun =>
    runBlock(blockOf(catalog, blockId), { python: python ?? 'python3', stepDir: path.join(tmp, stepDir), params, inputs }, 120_000);
  const out = (step: string, port: string): string => {
    const file = results[step]?.outputs[port];
    if (!file) throw new Error(`step ${step} has no output ${port}`);
    return file;
  };
  const succeeded = (id: string): StepRun => {
    const r = results[id];
    if (!r) throw new Error(`step ${id} did not run`);
    expect(r.status, `${id}: ${r.stderr}`).toBe(0);
    return r;
  };
  /** Writes the first `count` records of a FASTQ file (plain text) to a new file. */
  const head = (file: string, count: number, name: string): string => {
    const target = path.join(tmp, name);
    fs.writeFileSync(target, `${text(file).split('\n').slice(0, count * 4).join('\n')}\n`);
    return target;
  };

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxo-genomics-'));
    const parsed = parseDocument(fs.readFileSync(EXAMPLE, 'utf8'));
    if (!parsed.ok) throw new Error(parsed.message);
    doc = parsed.document;
    if (!canMakeReads) return;
    for (const step of doc.steps) {
      if (step.type !== 'synthetic-reads' && !canRunChain) break;
      const inputs: Record<string, string> = {};
      for (const c of doc.connections.filter((c) => c.to.step === step.id)) inputs[c.to.port] = out(c.from.step, c.from.port);
      const started = Date.now();
      results[step.id] = run(step.type, step.id, step.params, inputs);
      timings[step.id] = Date.now() - started;
    }
    console.info(`Genomics example, time per step (ms): ${JSON.stringify(timings)}`);
  }, 600_000);

  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('synthetic-reads', () => {
    it.skipIf(!canMakeReads)('writes a reference, two files of mates and the planted variants', () => {
      const r = succeeded('reads');
      expect(r.stderr).toBe('');
      const fasta = fs.readFileSync(out('reads', 'reference'), 'utf8').split('\n').filter(Boolean);
      expect(fasta[0]).toMatch(/^>synthetic_1 /);
      const genome = fasta.slice(1).join('');
      expect(genome).toHaveLength(20_000);
      expect(genome).toMatch(/^[ACGT]+$/);

      const r1 = fastq(out('reads', 'reads_1'));
      const r2 = fastq(out('reads', 'reads_2'));
      expect(r1).toHaveLength(2000);
      expect(r2).toHaveLength(2000);
      r1.forEach((rec, i) => {
        expect(rec.name).toBe(`@pair${i + 1}/1`);
        expect(r2[i]?.name).toBe(`@pair${i + 1}/2`);
        expect(rec.sequence).toMatch(/^[ACGT]{100}$/);
        expect(rec.quality).toHaveLength(100);
      });
      // About 5% of the fragments are shorter than a read, so their reads run into the adapter.
      const withAdapter = r1.filter((rec) => rec.sequence.includes(ADAPTER)).length / r1.length;
      expect(withAdapter).toBeGreaterThan(0.015);
      expect(withAdapter).toBeLessThan(0.08);

      const truth = vcfAlleles(out('reads', 'truth'));
      expect(truth).toHaveLength(20);
      for (const v of truth) {
        const [, , change] = v.key.split(':');
        const [ref, alt] = (change ?? '').split('>');
        expect(ref, v.key).toBe(genome[v.pos - 1]);
        expect(alt).toMatch(/^[ACGT]$/);
        expect(alt).not.toBe(ref);
      }
      expect(new Set(truth.map((v) => v.genotype))).toEqual(new Set(['0/1', '1/1']));
      const positions = truth.map((v) => v.pos);
      positions.slice(1).forEach((p, i) => expect(p - (positions[i] ?? 0)).toBeGreaterThanOrEqual(12));
      expect(r.stdout).toContain('mean depth 20.0x');
    });

    it.skipIf(!canMakeReads)('gives byte-identical files for the same seed and other ones for another seed', () => {
      const params = doc?.steps.find((s) => s.id === 'reads')?.params ?? {};
      const again = run('synthetic-reads', 'reads-again', params);
      expect(again.status).toBe(0);
      for (const port of ['reference', 'reads_1', 'reads_2', 'truth']) {
        expect(fs.readFileSync(again.outputs[port] ?? '').equals(fs.readFileSync(out('reads', port))), port).toBe(true);
      }
      const other = run('synthetic-reads', 'reads-other', { ...params, seed: 7 });
      expect(other.status).toBe(0);
      expect(fs.readFileSync(other.outputs.reference ?? '', 'utf8')).not.toBe(fs.readFileSync(out('reads', 'reference'), 'utf8'));
    });

    it.skipIf(!canMakeReads)('refuses settings that cannot give paired reads or room for the variants', () => {
      expectError(run('synthetic-reads', 'bad-fragment', { fragment_mean: 80 }), '"Mean fragment length" (80) must be at least the read length (100)');
      expectError(run('synthetic-reads', 'bad-snvs', { reference_length: 1200, snvs: 100 }), 'plant fewer or make the reference longer');
    });
  });

  describe('fastq-qc-trim', () => {
    it.skipIf(!canRunChain)('trims the adapters and keeps the mates in step', () => {
      succeeded('trim');
      const report = JSON.parse(fs.readFileSync(out('trim', 'qc'), 'utf8')) as {
        summary: { before_filtering: { total_reads: number }; after_filtering: { total_reads: number } };
        adapter_cutting: { adapter_trimmed_reads: number };
      };
      expect(report.summary.before_filtering.total_reads).toBe(4000);
      const raw = fastq(out('reads', 'reads_1'));
      const t1 = fastq(out('trim', 'trimmed_1'));
      const t2 = fastq(out('trim', 'trimmed_2'));
      expect(t1.length * 2).toBe(report.summary.after_filtering.total_reads);
      expect(t2.map((r) => r.name.replace(/\/2$/, ''))).toEqual(t1.map((r) => r.name.replace(/\/1$/, '')));
      expect(t1.length).toBeGreaterThan(1900);
      const before = raw.filter((r) => r.sequence.includes(ADAPTER)).length;
      const after = t1.filter((r) => r.sequence.includes(ADAPTER)).length;
      expect(report.adapter_cutting.adapter_trimmed_reads).toBeGreaterThanOrEqual(before);
      expect(after).toBeLessThan(before / 10);
      const html = fs.readFileSync(out('trim', 'report'), 'utf8');
      expect(html).toContain('fastp report');
      expect(fs.readdirSync(path.dirname(out('trim', 'qc'))).filter((f) => f.startsWith('.'))).toEqual([]);
    });

    it.skipIf(!canRunChain)('trims single-end reads when Reads 2 is not connected', () => {
      const r = run('fastq-qc-trim', 'trim-single', {}, { reads_1: out('reads', 'reads_1') });
      expect(r.status, r.stderr).toBe(0);
      expect(fastq(r.outputs.trimmed_1 ?? '').length).toBeGreaterThan(1900);
      expect(fs.existsSync(r.outputs.trimmed_2 ?? '')).toBe(false);
      expect(fs.readFileSync(r.outputs.qc ?? '', 'utf8')).toContain('single end');
    });

    it.skipIf(!canRunChain)('stops when a file is empty, not FASTQ, given twice or shorter than its mate', () => {
      const empty = path.join(tmp, 'empty.fastq');
      fs.writeFileSync(empty, '');
      expectError(run('fastq-qc-trim', 'trim-empty', {}, { reads_1: empty }), 'is empty');
      const notFastq = path.join(tmp, 'notes.fastq');
      fs.writeFileSync(notFastq, 'sample sheet\nrun 12\n');
      expectError(run('fastq-qc-trim', 'trim-text', {}, { reads_1: notFastq }), 'is not a FASTQ file');
      const reads = out('reads', 'reads_1');
      expectError(run('fastq-qc-trim', 'trim-twice', {}, { reads_1: reads, reads_2: reads }), 'are the same file');
      // fastp alone would stop at the end of the shorter file without a word.
      const short = head(out('reads', 'reads_2'), 100, 'short_2.fastq');
      const r = run('fastq-qc-trim', 'trim-short', {}, { reads_1: reads, reads_2: short });
      expectLastError(r, 'Reads 1 has 2000 reads but Reads 2 has 100');
      expect(fs.existsSync(r.outputs.trimmed_1 ?? '')).toBe(false);
    });
  });

  describe('align-bwa', () => {
    it.skipIf(!canRunChain)('aligns nearly every read as a proper pair, tagged with the sample name', () => {
      const r = succeeded('align');
      expect(r.stdout).toMatch(/\d+ of \d+ reads aligned/);
      const header = tool('samtools', 'view', '-H', out('align', 'alignment'));
      expect(header).toContain('@SQ\tSN:synthetic_1\tLN:20000');
      expect(header).toMatch(/^@RG\tID:sample1\tSM:sample1\tPL:ILLUMINA$/m);
      const counts = tool('samtools', 'flagstat', '-O', 'json', out('align', 'alignment'));
      const passed = (JSON.parse(counts) as Record<string, Record<string, number>>)['QC-passed reads'] ?? {};
      expect(passed['primary mapped %']).toBeGreaterThan(99);
      expect(passed['properly paired %']).toBeGreaterThan(95);
    });

    it.skipIf(!canRunChain)('builds the bwa index in its own folder, leaving the reference untouched', () => {
      succeeded('align');
      expect(fs.existsSync(path.join(tmp, 'align', 'reference', 'reference.fa.bwt'))).toBe(true);
      expect(fs.readdirSync(path.join(tmp, 'reads')).sort()).toEqual(['reads_1.fastq', 'reads_2.fastq', 'reference.fa', 'truth.vcf']);
    });

    it.skipIf(!canRunChain)('stops on a reference that is not FASTA, mates out of order or missing, a bad sample name', () => {
      const reads = { reference: out('reads', 'reference'), reads_1: out('reads', 'reads_1'), reads_2: out('reads', 'reads_2') };
      expectError(run('align-bwa', 'align-bad-reference', {}, { ...reads, reference: out('reads', 'truth') }), 'is not a FASTA file');
      const lines = text(reads.reads_2).split('\n');
      const shifted = path.join(tmp, 'shifted_2.fastq');
      fs.writeFileSync(shifted, `${lines.slice(4).join('\n')}`);
      expectError(run('align-bwa', 'align-shifted', {}, { ...reads, reads_2: shifted }), 'Reads 1 starts with read "pair1" but Reads 2 with "pair2"');
      const short = head(reads.reads_2, 100, 'align_short_2.fastq');
      expectLastError(run('align-bwa', 'align-short', {}, { ...reads, reads_2: short }), 'do not hold the same number of reads');
      expectError(run('align-bwa', 'align-sample', { sample: 'patient 1' }, reads), '"Sample name" may only use');
    });

    it.skipIf(!canRunChain)('says so when the reads come from another genome', () => {
      const foreign = run('synthetic-reads', 'foreign', { seed: 99, read_pairs: 200 });
      expect(foreign.status).toBe(0);
      const r = run('align-bwa', 'align-foreign', {}, {
        reference: out('reads', 'reference'),
        reads_1: foreign.outputs.reads_1 ?? '',
        reads_2: foreign.outputs.reads_2 ?? '',
      });
      expectLastError(r, 'none of the 400 reads aligned to the reference');
    });
  });

  describe('sort-index-bam', () => {
    it.skipIf(!canRunChain)('sorts by position, indexes, and counts every read that fastp kept', () => {
      succeeded('sort');
      const sorted = out('sort', 'sorted');
      expect(tool('samtools', 'view', '-H', sorted)).toMatch(/^@HD.*\tSO:coordinate/m);
      const positions = tool('samtools', 'view', '-F', '4', sorted).split('\n').filter(Boolean).map((l) => Number(l.split('\t')[3]));
      expect(positions.length).toBeGreaterThan(3900);
      positions.slice(1).forEach((p, i) => expect(p).toBeGreaterThanOrEqual(positions[i] ?? 0));
      expect(out('sort', 'index')).toBe(`${sorted}.bai`);
      expect(fs.statSync(out('sort', 'index')).mtimeMs).toBeGreaterThanOrEqual(fs.statSync(sorted).mtimeMs);
      const idx = tool('samtools', 'idxstats', sorted).split('\n')[0]?.split('\t') ?? [];
      const counts = flagstat(out('sort', 'flagstat'));
      expect(idx.slice(0, 2)).toEqual(['synthetic_1', '20000']);
      expect(Number(idx[2])).toBe(counts.mapped);
      const kept = (JSON.parse(fs.readFileSync(out('trim', 'qc'), 'utf8')) as { summary: { after_filtering: { total_reads: number } } }).summary.after_filtering.total_reads;
      expect(counts.primary).toBe(kept);
    });

    it.skipIf(!canRunChain)('marks copies of a read pair as duplicates, or not when asked', () => {
      // The reads plus a second copy of their first 100 pairs, under new names.
      const copy = (file: string, mate: number): string => {
        const records = fastq(file);
        const copies = records.slice(0, 100).map((r, i) => ({ ...r, name: `@copy${i + 1}/${mate}` }));
        const target = path.join(tmp, `with-copies_${mate}.fastq`);
        fs.writeFileSync(target, [...records, ...copies].map((r) => `${r.name}\n${r.sequence}\n+\n${r.quality}\n`).join(''));
        return target;
      };
      const aligned = run('align-bwa', 'align-copies', {}, { reference: out('reads', 'reference'), reads_1: copy(out('reads', 'reads_1'), 1), reads_2: copy(out('reads', 'reads_2'), 2) });
      expect(aligned.status, aligned.stderr).toBe(0);
      const marked = run('sort-index-bam', 'sort-copies', { mark_duplicates: true }, { alignment: aligned.outputs.alignment ?? '' });
      expect(marked.status, marked.stderr).toBe(0);
      const duplicates = flagstat(marked.outputs.flagstat ?? '').duplicates ?? 0;
      expect(duplicates).toBeGreaterThanOrEqual(200);
      expect(duplicates).toBeLessThan(220);
      const unmarked = run('sort-index-bam', 'sort-copies-kept', { mark_duplicates: false }, { alignment: aligned.outputs.alignment ?? '' });
      expect(unmarked.status, unmarked.stderr).toBe(0);
      expect(flagstat(unmarked.outputs.flagstat ?? '').duplicates).toBe(0);
      expect(flagstat(unmarked.outputs.flagstat ?? '').total).toBe(4200);
    });

    it.skipIf(!canRunChain)('stops on a file that is not a BAM', () => {
      expectError(run('sort-index-bam', 'sort-text', {}, { alignment: out('reads', 'truth') }), 'are not a complete BAM or SAM file');
    });
  });

  describe('call-variants', () => {
    it.skipIf(!canRunChain)('writes an indexed, bgzipped VCF for the sample named at alignment', () => {
      succeeded('call');
      const vcf = out('call', 'variants');
      expect(fs.readFileSync(vcf).subarray(0, 2).equals(Buffer.from([0x1f, 0x8b]))).toBe(true);
      expect(tool('bcftools', 'query', '-l', vcf).trim()).toBe('sample1');
      expect(out('call', 'index')).toBe(`${vcf}.tbi`);
      // The index answers region queries.
      const firstHalf = tool('bcftools', 'view', '-H', '-r', 'synthetic_1:1-10000', vcf).split('\n').filter(Boolean);
      const all = vcfAlleles(vcf);
      expect(firstHalf.length).toBe(all.filter((v) => v.pos <= 10000).length);
      expect(all.length).toBeGreaterThan(0);
    });

    it.skipIf(!canRunChain)('calls only the regions asked for, haploid genotypes, and flags weak calls without dropping them', () => {
      const inputs = { alignment: out('sort', 'sorted'), reference: out('reads', 'reference') };
      const all = vcfAlleles(out('call', 'variants'));
      const region = run('call-variants', 'call-region', { regions: 'synthetic_1:1-10000' }, inputs);
      expect(region.status, region.stderr).toBe(0);
      const inRegion = vcfAlleles(region.outputs.variants ?? '');
      expect(inRegion.map((v) => v.key)).toEqual(all.filter((v) => v.pos <= 10000).map((v) => v.key));
      const haploid = run('call-variants', 'call-haploid', { ploidy: 'haploid' }, inputs);
      expect(haploid.status, haploid.stderr).toBe(0);
      expect(new Set(vcfAlleles(haploid.outputs.variants ?? '').map((v) => v.genotype))).toEqual(new Set(['1']));
      const strict = run('call-variants', 'call-strict', { min_qual: 1000 }, inputs);
      expect(strict.status, strict.stderr).toBe(0);
      const flagged = vcfAlleles(strict.outputs.variants ?? '');
      expect(flagged.map((v) => v.key)).toEqual(all.map((v) => v.key));
      expect(new Set(flagged.map((v) => v.filter))).toEqual(new Set(['LowQual']));
    });

    it.skipIf(!canRunChain)('stops on alignments without an index or made against another reference', () => {
      const bare = path.join(tmp, 'bare', 'sorted.bam');
      fs.mkdirSync(path.dirname(bare), { recursive: true });
      fs.copyFileSync(out('sort', 'sorted'), bare);
      expectError(run('call-variants', 'call-bare', {}, { alignment: bare, reference: out('reads', 'reference') }), 'have no index (.bai) beside them');
      const other = run('synthetic-reads', 'other-genome', { reference_length: 5000, read_pairs: 10, snvs: 2, seed: 7 });
      expect(other.status).toBe(0);
      const r = run('call-variants', 'call-other', {}, { alignment: out('sort', 'sorted'), reference: other.outputs.reference ?? '' });
      expectLastError(r, 'the reads were aligned to another reference (sequence "synthetic_1" has 20000 bases in the alignments but 5000 in the reference)');
      expect(fs.existsSync(r.outputs.variants ?? '')).toBe(false);
    });
  });

  describe('variant-summary', () => {
    it.skipIf(!canRunChain)('finds most planted SNVs with few false calls, as measured from the files', () => {
      const r = succeeded('summary');
      expect(r.stderr).toBe('');
      const metrics = JSON.parse(fs.readFileSync(out('summary', 'metrics'), 'utf8')) as Record<string, number | null>;
      // Recount from the VCF files themselves: the calls that pass the filters against the planted truth.
      const truth = new Set(vcfAlleles(out('reads', 'truth')).map((v) => v.key));
      const calls = vcfAlleles(out('call', 'variants')).filter((v) => v.filter === 'PASS');
      const tp = calls.filter((v) => truth.has(v.key)).length;
      expect(metrics.truth_variants).toBe(20);
      expect(metrics.true_positives).toBe(tp);
      expect(metrics.false_positives).toBe(calls.length - tp);
      expect(metrics.false_negatives).toBe(truth.size - tp);
      expect(metrics.recall).toBeCloseTo(tp / truth.size, 4);
      expect(metrics.precision).toBeCloseTo(tp / calls.length, 4);
      expect(metrics.recall).toBeGreaterThanOrEqual(0.8);
      expect(metrics.precision).toBeGreaterThanOrEqual(0.8);
      expect(metrics.snvs).toBe(calls.length);
      expect(metrics.genotype_concordance).toBeGreaterThan(0.8);
      console.info(`Genomics example: recall ${metrics.recall}, precision ${metrics.precision}, genotype concordance ${metrics.genotype_concordance}`);

      const table = readCsv(out('summary', 'table'));
      expect(table.header).toEqual(['chrom', 'pos', 'ref', 'alt', 'type', 'qual', 'depth', 'genotype', 'filter', 'passed', 'truth_genotype', 'status']);
      const status = column(table, 'status');
      expect(status.filter((s) => s === 'TP')).toHaveLength(tp);
      expect(status.filter((s) => s === 'FN')).toHaveLength(truth.size - tp);
      const png = fs.readFileSync(out('summary', 'figure'));
      expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
      expect(png.length).toBeGreaterThan(10_000);
      expect(r.stdout).toContain('Against 20 true variants');
    });

    it.skipIf(!canRunChain)('summarises calls without a truth, and counts flagged calls only when asked', () => {
      const strict = run('call-variants', 'call-all-flagged', { min_qual: 1000 }, { alignment: out('sort', 'sorted'), reference: out('reads', 'reference') });
      expect(strict.status, strict.stderr).toBe(0);
      const all = vcfAlleles(strict.outputs.variants ?? '').length;
      const passOnly = run('variant-summary', 'summary-pass', {}, { variants: strict.outputs.variants ?? '' });
      expect(passOnly.status, passOnly.stderr).toBe(0);
      const none = JSON.parse(fs.readFileSync(passOnly.outputs.metrics ?? '', 'utf8')) as Record<string, unknown>;
      expect(none).toMatchObject({ variants: 0, filtered_out: all, pass_only: true });
      expect(none).not.toHaveProperty('recall');
      expect(new Set(column(readCsv(passOnly.outputs.table ?? ''), 'status'))).toEqual(new Set(['filtered']));
      const everything = run('variant-summary', 'summary-all', { pass_only: false }, { variants: strict.outputs.variants ?? '' });
      expect(everything.status, everything.stderr).toBe(0);
      const counted = JSON.parse(fs.readFileSync(everything.outputs.metrics ?? '', 'utf8')) as Record<string, number>;
      expect(counted.variants).toBe(all);
      expect((counted.transitions ?? 0) + (counted.transversions ?? 0)).toBe(counted.snvs);
    });

    it.skipIf(!canRunChain)('stops on a file that is not a VCF and when no calls are connected', () => {
      expectError(run('variant-summary', 'summary-fasta', {}, { variants: out('reads', 'reference') }), 'is not a VCF or BCF file');
      expectError(run('variant-summary', 'summary-none', {}, {}), 'no variant calls are connected');
    });
  });
});
