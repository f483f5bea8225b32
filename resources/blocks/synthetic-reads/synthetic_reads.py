#!/usr/bin/env python3
"""Fluxo block "Synthetic reads": a random reference genome and paired-end reads of a sample that
carries known single-nucleotide variants (SNVs), plus the list of those variants (the truth).

Everything is drawn from one random seed, so the same settings always give byte-identical files.
The reads mimic an Illumina run closely enough to exercise a real pipeline: insert sizes vary,
base errors become more frequent towards the 3' end and the qualities say so, a share of the
fragments is shorter than a read so the read runs into the sequencing adapter, and heterozygous
variants sit on one of the two copies of the genome only.
"""
import argparse

import numpy as np

from fluxo_block import fail, parse_integer, parse_number, write_atomically, write_text

BASES = np.frombuffer(b"ACGT", dtype=np.uint8)
COMPLEMENT = np.array([3, 2, 1, 0], dtype=np.uint8)  # A<->T, C<->G on the codes 0..3
# A<->G and C<->T are transitions; the other two changes of a base are transversions.
TRANSITION = np.array([2, 3, 0, 1], dtype=np.uint8)
# The Illumina TruSeq adapters a read runs into when its fragment is shorter than the read.
ADAPTER_1 = b"AGATCGGAAGAGCACACGTCTGAACTCCAGTCA"
ADAPTER_2 = b"AGATCGGAAGAGCGTCGTGTAGGGAAAGAGTGT"
CONTIG = "synthetic_1"
LINE_WIDTH = 60
CHUNK = 10000  # read pairs generated at once: bounds memory for large runs
MIN_SPACING = 12  # bases between two planted variants, so each stands alone in the truth


def codes(sequence):
    lookup = np.zeros(256, dtype=np.uint8)
    lookup[BASES] = np.arange(4, dtype=np.uint8)
    return lookup[np.frombuffer(sequence, dtype=np.uint8)]


def plant_variants(rng, genome, count, margin, heterozygous_fraction):
    """Positions (0-based), alternative bases and zygosity of the planted SNVs, sorted by position.

    The usable stretch (away from the ends, where coverage thins out) is cut into `count` equal
    bins and each variant lands at a random place inside its own bin, so variants are spread
    along the genome and never closer than MIN_SPACING.
    """
    start, end = margin, len(genome) - margin
    width = (end - start) // count
    offsets = rng.integers(MIN_SPACING // 2, width - MIN_SPACING // 2, size=count)
    positions = start + np.arange(count) * width + offsets
    ref = genome[positions]
    transition = rng.random(count) < 2.0 / 3.0  # a transition/transversion ratio near 2, as in human genomes
    shift = rng.choice(np.array([1, 3], dtype=np.uint8), size=count)  # base +1 and +3 are its two transversions
    alt = np.where(transition, TRANSITION[ref], (ref + shift) % 4).astype(np.uint8)
    heterozygous = rng.random(count) < heterozygous_fraction
    return positions, alt, heterozygous


def error_profile(read_length, error_rate):
    """Per-position error probability: low at the 5' end, about twice the average at the 3' end."""
    x = np.arange(read_length) / max(read_length - 1, 1)
    return error_rate * (0.4 + 1.8 * x * x)


def read_pairs_chunk(rng, haplotypes, n, read_length, fragment_mean, fragment_sd, short_share, p_error):
    """Sequences (codes) and quality strings of `n` read pairs: (r1, q1, r2, q2), each n x read_length."""
    genome_length = haplotypes.shape[1]
    short = rng.random(n) < short_share
    lengths = np.rint(rng.normal(fragment_mean, fragment_sd, size=n)).astype(np.int64)
    lengths = np.clip(lengths, read_length, min(genome_length, int(fragment_mean + 4 * fragment_sd)))
    short_min = min(max(30, read_length // 2), read_length - 1)
    lengths[short] = rng.integers(short_min, read_length, size=int(short.sum()))
    starts = rng.integers(0, genome_length - lengths + 1)
    which = rng.integers(0, haplotypes.shape[0], size=n)
    plus = rng.random(n) < 0.5

    j = np.arange(read_length)
    inside = j[None, :] < lengths[:, None]
    forward_at = np.minimum(starts[:, None] + j[None, :], genome_length - 1)
    reverse_at = np.maximum(starts[:, None] + lengths[:, None] - 1 - j[None, :], 0)
    forward = haplotypes[which[:, None], forward_at]
    reverse = COMPLEMENT[haplotypes[which[:, None], reverse_at]]
    r1 = np.where(plus[:, None], forward, reverse)
    r2 = np.where(plus[:, None], reverse, forward)

    # Past the end of a short fragment a read continues into its adapter, then into random bases.
    beyond = j[None, :] - lengths[:, None]
    for read, adapter in ((r1, codes(ADAPTER_1)), (r2, codes(ADAPTER_2))):
        fill = rng.integers(0, 4, size=read.shape, dtype=np.uint8)
        in_adapter = (beyond >= 0) & (beyond < len(adapter))
        fill[in_adapter] = adapter[beyond[in_adapter]]
        read[~inside] = fill[~inside]

    out = []
    for read in (r1, r2):
        p = np.broadcast_to(p_error, read.shape)
        wrong = rng.random(read.shape) < p
        read[wrong] = (read[wrong] + rng.integers(1, 4, size=int(wrong.sum()))) % 4
        phred = np.rint(-10 * np.log10(p) + rng.normal(0, 1.5, size=read.shape))
        quality = (np.clip(phred, 2, 41) + 33).astype(np.uint8)
        out += [BASES[read], quality]
    return out


def fastq_bytes(first, sequences, qualities, mate):
    lines = []
    for k in range(sequences.shape[0]):
        lines.append(b"@pair%d/%d\n%s\n+\n%s\n" % (first + k, mate, sequences[k].tobytes(), qualities[k].tobytes()))
    return b"".join(lines)


def fasta_text(genome, seed):
    sequence = BASES[genome].tobytes().decode("ascii")
    lines = [">%s Fluxo synthetic reference, %d bp, seed %d" % (CONTIG, len(genome), seed)]
    lines += [sequence[i:i + LINE_WIDTH] for i in range(0, len(sequence), LINE_WIDTH)]
    return "\n".join(lines) + "\n"


def truth_vcf(genome, positions, alt, heterozygous, seed):
    lines = [
        "##fileformat=VCFv4.2",
        "##source=Fluxo synthetic-reads (seed %d)" % seed,
        "##contig=<ID=%s,length=%d>" % (CONTIG, len(genome)),
        '##INFO=<ID=PLANTED,Number=0,Type=Flag,Description="Variant planted by the synthetic read generator">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ttruth",
    ]
    for k, (pos, a, het) in enumerate(zip(positions, alt, heterozygous)):
        lines.append("%s\t%d\tsnv%d\t%s\t%s\t.\tPASS\tPLANTED\tGT\t%s" % (
            CONTIG, pos + 1, k + 1, chr(BASES[genome[pos]]), chr(BASES[a]), "0/1" if het else "1/1"))
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description="Write a synthetic reference, paired-end reads and their planted variants.")
    parser.add_argument("--reference-length", default="20000")
    parser.add_argument("--read-pairs", default="2000")
    parser.add_argument("--read-length", default="100")
    parser.add_argument("--fragment-mean", default="300")
    parser.add_argument("--fragment-sd", default="50")
    parser.add_argument("--snvs", default="20")
    parser.add_argument("--heterozygous-fraction", default="0.5")
    parser.add_argument("--error-rate", default="0.001")
    parser.add_argument("--short-fragments", default="0.05")
    parser.add_argument("--seed", default="42")
    parser.add_argument("--reference", required=True)
    parser.add_argument("--reads-1", required=True)
    parser.add_argument("--reads-2", required=True)
    parser.add_argument("--truth", required=True)
    args = parser.parse_args()

    genome_length = parse_integer(args.reference_length, "Reference length", 20000)
    pairs = parse_integer(args.read_pairs, "Read pairs", 2000)
    read_length = parse_integer(args.read_length, "Read length", 100)
    fragment_mean = parse_integer(args.fragment_mean, "Mean fragment length", 300)
    fragment_sd = parse_number(args.fragment_sd, "Fragment length spread", 50.0)
    snvs = parse_integer(args.snvs, "Planted SNVs", 20)
    heterozygous_fraction = parse_number(args.heterozygous_fraction, "Heterozygous share", 0.5)
    error_rate = parse_number(args.error_rate, "Sequencing error rate", 0.001)
    short_share = parse_number(args.short_fragments, "Short fragments", 0.05)
    seed = parse_integer(args.seed, "Random seed", 42)

    if not 30 <= read_length <= 300:
        fail('"Read length" must be between 30 and 300 bases (it is %d).' % read_length)
    if fragment_mean < read_length:
        fail('"Mean fragment length" (%d) must be at least the read length (%d); paired reads come from the two '
             'ends of one fragment.' % (fragment_mean, read_length))
    if fragment_sd < 0:
        fail('"Fragment length spread" must be zero or more (it is %s).' % args.fragment_sd)
    if genome_length < 4 * fragment_mean:
        fail('"Reference length" (%d) must be at least four fragments long (%d bases); make the reference longer or '
             'the fragments shorter.' % (genome_length, 4 * fragment_mean))
    if pairs < 1:
        fail('"Read pairs" must be at least 1 (it is %d).' % pairs)
    for value, name in ((heterozygous_fraction, "Heterozygous share"), (short_share, "Short fragments")):
        if not 0 <= value <= 1:
            fail('"%s" must be between 0 and 1 (it is %s).' % (name, value))
    if not 0 < error_rate <= 0.1:
        fail('"Sequencing error rate" must be above 0 and at most 0.1 (it is %s).' % error_rate)
    if seed < 0:
        fail('"Random seed" must be zero or more (it is %d).' % seed)
    margin = fragment_mean
    room = genome_length - 2 * margin
    if snvs < 0 or (snvs > 0 and room // snvs < 2 * MIN_SPACING):
        fail('"Planted SNVs" must be between 0 and %d for a %d-base reference (one every %d bases at most, away from '
             'the ends); plant fewer or make the reference longer.'
             % (max(room // (2 * MIN_SPACING), 0), genome_length, 2 * MIN_SPACING))

    rng = np.random.default_rng(seed)
    genome = rng.integers(0, 4, size=genome_length, dtype=np.uint8)
    if snvs:
        positions, alt, heterozygous = plant_variants(rng, genome, snvs, margin, heterozygous_fraction)
    else:
        positions, alt, heterozygous = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint8), np.zeros(0, dtype=bool))
    # A diploid sample: every variant is on the first copy; homozygous ones on the second copy too.
    haplotypes = np.vstack([genome, genome])
    haplotypes[0, positions] = alt
    haplotypes[1, positions[~heterozygous]] = alt[~heterozygous]

    write_text(args.reference, fasta_text(genome, seed))
    write_text(args.truth, truth_vcf(genome, positions, alt, heterozygous, seed))

    p_error = error_profile(read_length, error_rate)

    def write_reads(tmp_1, tmp_2):
        with open(tmp_1, "wb") as out_1, open(tmp_2, "wb") as out_2:
            for first in range(0, pairs, CHUNK):
                n = min(CHUNK, pairs - first)
                s1, q1, s2, q2 = read_pairs_chunk(rng, haplotypes, n, read_length, fragment_mean, fragment_sd,
                                                  short_share, p_error)
                out_1.write(fastq_bytes(first + 1, s1, q1, 1))
                out_2.write(fastq_bytes(first + 1, s2, q2, 2))

    # Both files are written through temporary names and renamed together at the end.
    write_atomically(args.reads_1, lambda tmp_1: write_atomically(args.reads_2, lambda tmp_2: write_reads(tmp_1, tmp_2)))

    depth = 2.0 * pairs * read_length / genome_length
    print("Reference: %s, %d bases (%s)" % (CONTIG, genome_length, args.reference))
    print("Planted %d SNVs (%d heterozygous, %d homozygous) listed in %s"
          % (snvs, int(heterozygous.sum()), int((~heterozygous).sum()), args.truth))
    print("Wrote %d read pairs of %d bases: mean depth %.1fx, about %.0f%% of pairs from fragments shorter than a read"
          % (pairs, read_length, depth, 100 * short_share))
    print("Reads: %s and %s" % (args.reads_1, args.reads_2))
    if depth < 5 and snvs:
        print("Note: at a depth of %.1fx many variants cannot be called; use more read pairs." % depth)


if __name__ == "__main__":
    main()
