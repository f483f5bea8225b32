#!/usr/bin/env python3
"""Fluxo block "Variant summary": a table, counts and a figure of the variants in a VCF file, and,
when the true variants are known, how many were found (recall) and how many calls are right
(precision).

Variants are compared allele by allele: a record with two alternative alleles counts as two
variants, and a call matches a true variant when chromosome, position, reference and alternative
allele are identical. Indels written differently (not left-aligned) do not match; normalise both
files with `bcftools norm` first when comparing indels from different callers.
"""
import argparse
import json
import math
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pysam  # noqa: E402

from fluxo_block import fail, parse_boolean, write_atomically, write_text  # noqa: E402

TRANSITIONS = {("A", "G"), ("G", "A"), ("C", "T"), ("T", "C")}
TYPES = ("SNV", "MNP", "insertion", "deletion", "complex")
STATUS_COLOURS = {"TP": "#2a9d4b", "FP": "#d1495b", "FN": "#7a5195", "call": "#1f6fb2", "filtered": "#9a9a9a"}
COLUMNS = ["chrom", "pos", "ref", "alt", "type", "qual", "depth", "genotype", "filter", "passed"]
DPI = 110


def variant_type(ref, alt):
    if len(ref) == len(alt):
        return "SNV" if len(ref) == 1 else "MNP"
    if len(ref) == 1 and alt.startswith(ref):
        return "insertion"
    if len(alt) == 1 and ref.startswith(alt):
        return "deletion"
    return "complex"


def genotype_text(record):
    if not record.samples:
        return ""
    sample = record.samples[0]
    try:
        alleles = sample["GT"]
    except KeyError:
        return ""
    if alleles is None:
        return ""
    return ("|" if sample.phased else "/").join("." if a is None else str(a) for a in alleles)


def depth_of(record):
    if "DP" in record.header.info and record.info.get("DP") is not None:
        return int(record.info["DP"])
    if record.samples and "DP" in record.header.formats:
        value = record.samples[0].get("DP")
        if value is not None:
            return int(value)
    return None


def open_vcf(path, what):
    if not os.path.isfile(path):
        fail('the %s "%s" does not exist; run the step that produces it first.' % (what, path))
    if os.path.getsize(path) == 0:
        fail('the %s "%s" is empty; check the step that produces it.' % (what, path))
    try:
        return pysam.VariantFile(path)
    except (ValueError, OSError):  # pysam's own message repeats the path in Python bytes notation
        fail('the %s "%s" is not a VCF or BCF file; connect variants in VCF format (.vcf, .vcf.gz or .bcf).'
             % (what, path))


def read_variants(path, what):
    """One row per alternative allele: the columns of COLUMNS, plus the contig lengths of the header."""
    vcf = open_vcf(path, what)
    rows = []
    skipped = 0
    try:
        for record in vcf:
            passed = record.filter.keys() in ([], ["PASS"])
            qual = None if record.qual is None else round(float(record.qual), 2)
            genotype = genotype_text(record)
            depth = depth_of(record)
            for alt in record.alts or ():
                # Symbolic alleles (<DEL>, <*>) and overlapping deletions (*) are not sequence changes here.
                if alt.startswith("<") or alt == "*" or "[" in alt or "]" in alt:
                    skipped += 1
                    continue
                ref = record.ref.upper()
                alt = alt.upper()
                rows.append({
                    "chrom": record.chrom, "pos": record.pos, "ref": ref, "alt": alt,
                    "type": variant_type(ref, alt), "qual": qual, "depth": depth, "genotype": genotype,
                    "filter": ";".join(record.filter.keys()) or ".", "passed": passed,
                })
    except (ValueError, OSError) as exc:
        fail('the %s "%s" could not be read to the end (%s); the file may be truncated or damaged.'
             % (what, path, str(exc).strip() or type(exc).__name__))
    lengths = {name: contig.length for name, contig in vcf.header.contigs.items()}
    vcf.close()
    if skipped:
        print("Skipped %d symbolic or overlapping-deletion alleles in %s" % (skipped, path))
    return pd.DataFrame(rows, columns=COLUMNS), lengths


def four_decimals(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(float(value), 4)


def compare(calls, truth):
    """Marks every considered call TP or FP, and adds a row for every missed true variant (FN)."""
    key = ["chrom", "pos", "ref", "alt"]
    truth = truth.drop_duplicates(subset=key)
    merged = calls.merge(truth[key + ["genotype"]].rename(columns={"genotype": "truth_genotype"}), on=key, how="left",
                         indicator=True)
    in_truth = merged["_merge"] == "both"
    merged["status"] = np.where(merged["considered"], np.where(in_truth, "TP", "FP"),
                                np.where(in_truth, "FN", "filtered"))
    merged = merged.drop(columns="_merge")
    found = merged.loc[merged["considered"] | in_truth, key]
    missed = truth.merge(found, on=key, how="left", indicator=True)
    missed = missed[missed["_merge"] == "left_only"].drop(columns="_merge")
    missed = missed.assign(truth_genotype=missed["genotype"], genotype="", qual=None, depth=None, filter="",
                           passed=None, considered=False, status="FN")
    return pd.concat([merged, missed[merged.columns]], ignore_index=True)


def order_rows(table, lengths):
    contigs = list(lengths) + sorted(set(table["chrom"]) - set(lengths))
    rank = {name: i for i, name in enumerate(contigs)}
    table = table.assign(_rank=table["chrom"].map(rank)).sort_values(["_rank", "pos", "ref", "alt"], kind="mergesort")
    return table.drop(columns="_rank").reset_index(drop=True)


def draw(table, considered, lengths, with_truth, title, path):
    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5))
    (ax_types, ax_qual), (ax_depth, ax_genome) = axes
    groups = [("TP", "true positives"), ("FP", "false positives")] if with_truth else [("call", "calls")]
    status = considered["status"] if with_truth else pd.Series("call", index=considered.index)

    bottom = np.zeros(len(TYPES))
    for code, label in groups:
        counts = np.array([int(((considered["type"] == t) & (status == code)).sum()) for t in TYPES])
        ax_types.bar(TYPES, counts, bottom=bottom, color=STATUS_COLOURS[code], label=label)
        bottom += counts
    if with_truth:
        missed = table[table["status"] == "FN"]
        counts = np.array([int((missed["type"] == t).sum()) for t in TYPES])
        ax_types.bar(TYPES, counts, bottom=bottom, color=STATUS_COLOURS["FN"], label="missed (false negatives)")
    ax_types.set_title("Variants by type")
    ax_types.set_ylabel("Number of variants")
    ax_types.legend(fontsize="small")

    for ax, column, name in ((ax_qual, "qual", "Variant quality (QUAL)"), (ax_depth, "depth", "Read depth (DP)")):
        values = [pd.to_numeric(considered.loc[status == code, column], errors="coerce").dropna() for code, _ in groups]
        present = [v for v in values if len(v)]
        if present:
            everything = pd.concat(present)
            low, high = float(everything.min()), float(everything.max())
            # Depths are counts: with a narrow range, one bar per whole number reads better.
            if column == "depth" and high - low <= 40:
                bins = np.arange(low, high + 2) - 0.5
            else:
                bins = np.linspace(low, high + 1, 21)
            ax.hist([v for v in values], bins=bins, stacked=True, label=[label for _, label in groups],
                    color=[STATUS_COLOURS[code] for code, _ in groups])
            ax.legend(fontsize="small")
        else:
            ax.text(0.5, 0.5, "no values", ha="center", va="center", transform=ax.transAxes)
        ax.set_title(name)
        ax.set_xlabel(name.split(" (")[0])
        ax.set_ylabel("Number of variants")

    # Contigs side by side along one axis, in the order of the VCF header.
    offsets, start = {}, 0
    for name in list(lengths) + sorted(set(table["chrom"]) - set(lengths)):
        offsets[name] = start
        size = lengths.get(name)
        start += size if size else int(table.loc[table["chrom"] == name, "pos"].max()) + 1
    plotted = table[table["status"].isin(["TP", "FP", "call"]) if with_truth else table["considered"]]
    for code, label in groups:
        subset = plotted[(plotted["status"] if with_truth else pd.Series("call", index=plotted.index)) == code]
        ax_genome.scatter(subset["chrom"].map(offsets) + subset["pos"], pd.to_numeric(subset["qual"], errors="coerce"),
                          s=18, color=STATUS_COLOURS[code], label=label)
    if with_truth:
        missed = table[table["status"] == "FN"]
        ax_genome.scatter(missed["chrom"].map(offsets) + missed["pos"], np.zeros(len(missed)), marker="x", s=30,
                          color=STATUS_COLOURS["FN"], label="missed (QUAL 0)")
    for name, offset in offsets.items():
        if offset:
            ax_genome.axvline(offset, color="grey", lw=0.5)
    ax_genome.set_xlim(0, max(start, 1))
    ax_genome.set_title("Along the genome" + (" (%d sequences)" % len(offsets) if len(offsets) > 1 else ""))
    ax_genome.set_xlabel("Position (bases)")
    ax_genome.set_ylabel("QUAL")
    if len(ax_genome.collections):
        ax_genome.legend(fontsize="small")
    fig.suptitle(title)
    fig.tight_layout()

    def write(tmp):
        fig.savefig(tmp, format="png", dpi=DPI)

    write_atomically(path, write)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description="Summarise the variants of a VCF file, optionally against the truth.")
    parser.add_argument("--variants", default="")
    parser.add_argument("--truth", default="")
    parser.add_argument("--pass-only", default="true")
    parser.add_argument("--table", required=True)
    parser.add_argument("--metrics", required=True)
    parser.add_argument("--figure", required=True)
    args = parser.parse_args()

    pass_only = parse_boolean(args.pass_only, "Only calls that pass the filters", True)
    if not args.variants:
        fail("no variant calls are connected; connect the Variants output of Call variants to this step.")
    calls, lengths = read_variants(args.variants, "variants file")
    calls["considered"] = calls["passed"] if pass_only else True
    considered_count = int(calls["considered"].sum())
    print("Read %d variant alleles from %s; %d pass the filters%s"
          % (len(calls), args.variants, int(calls["passed"].sum()),
             "" if pass_only else " (all are counted: \"Only calls that pass the filters\" is off)"))

    with_truth = bool(args.truth)
    if with_truth:
        truth, truth_lengths = read_variants(args.truth, "truth file")
        if len(truth) == 0:
            fail('the truth "%s" lists no variants, so recall cannot be computed; connect a VCF with the true variants.'
                 % args.truth)
        shared = set(truth["chrom"]) & (set(calls["chrom"]) | set(lengths))
        if not shared:
            print("Note: the truth names its sequences %s, the calls %s; if they come from the same genome, rename "
                  "one set (for example chr1 and 1) or no call can match."
                  % (", ".join(sorted(set(truth["chrom"]))[:5]), ", ".join(sorted(set(lengths) or set(calls["chrom"]))[:5])))
        table = compare(calls, truth)
        for name, size in truth_lengths.items():
            lengths.setdefault(name, size)
    else:
        table = calls.assign(status=np.where(calls["considered"], "call", "filtered"))
    table = order_rows(table, lengths)
    considered = table[table["considered"].astype(bool)]

    types = {t: int((considered["type"] == t).sum()) for t in TYPES}
    snvs = considered[considered["type"] == "SNV"]
    transitions = int(sum((r, a) in TRANSITIONS for r, a in zip(snvs["ref"], snvs["alt"])))
    transversions = len(snvs) - transitions
    genotypes = considered["genotype"].astype(str)
    quals = pd.to_numeric(considered["qual"], errors="coerce").dropna()
    depths = pd.to_numeric(considered["depth"], errors="coerce").dropna()
    metrics = {
        "variants": considered_count,
        "filtered_out": int(len(calls) - considered_count),
        "snvs": types["SNV"],
        "mnps": types["MNP"],
        "insertions": types["insertion"],
        "deletions": types["deletion"],
        "complex": types["complex"],
        "transitions": transitions,
        "transversions": transversions,
        "ts_tv": four_decimals(transitions / transversions) if transversions else None,
        "heterozygous": int(genotypes.isin(["0/1", "0|1", "1|0", "1/0"]).sum()),
        "homozygous_alt": int(genotypes.isin(["1/1", "1|1", "1"]).sum()),
        "mean_qual": four_decimals(quals.mean()) if len(quals) else None,
        "median_depth": four_decimals(depths.median()) if len(depths) else None,
        "pass_only": pass_only,
    }
    if with_truth:
        tp = int((table["status"] == "TP").sum())
        fp = int((table["status"] == "FP").sum())
        fn = int((table["status"] == "FN").sum())
        recall = tp / (tp + fn) if tp + fn else None
        precision = tp / (tp + fp) if tp + fp else None
        f1 = 2 * recall * precision / (recall + precision) if recall and precision else 0.0
        hits = table[table["status"] == "TP"]
        same_genotype = sum(sorted(g.replace("|", "/").split("/")) == sorted(t.replace("|", "/").split("/"))
                            for g, t in zip(hits["genotype"].astype(str), hits["truth_genotype"].astype(str)))
        metrics.update({
            "truth_variants": tp + fn,
            "true_positives": tp,
            "false_positives": fp,
            "false_negatives": fn,
            "recall": four_decimals(recall),
            "precision": four_decimals(precision),
            "f1": four_decimals(f1),
            "genotype_concordance": four_decimals(same_genotype / tp) if tp else None,
        })

    out = table.drop(columns="considered")
    out["passed"] = out["passed"].map({True: "yes", False: "no"}).fillna("")
    write_atomically(args.table, lambda tmp: out.to_csv(tmp, index=False))
    write_text(args.metrics, json.dumps(metrics, indent=2) + "\n")
    title = "Variants: %d called (%d SNVs, %d indels)" % (considered_count, types["SNV"], types["insertion"] + types["deletion"])
    if with_truth:
        title += "; recall %.2f, precision %.2f" % (metrics["recall"] or 0, metrics["precision"] or 0)
    draw(table, considered, lengths, with_truth, title, args.figure)

    print("%d variants: %d SNVs, %d insertions, %d deletions, %d other; Ts/Tv %s"
          % (considered_count, types["SNV"], types["insertion"], types["deletion"], types["MNP"] + types["complex"],
             "n/a" if metrics["ts_tv"] is None else "%.2f" % metrics["ts_tv"]))
    if with_truth:
        print("Against %d true variants: %d found, %d missed, %d false calls; recall %.4f, precision %s"
              % (metrics["truth_variants"], metrics["true_positives"], metrics["false_negatives"],
                 metrics["false_positives"], metrics["recall"] or 0.0,
                 "n/a" if metrics["precision"] is None else "%.4f" % metrics["precision"]))
    print("Wrote %s, %s, %s" % (args.table, args.metrics, args.figure))


if __name__ == "__main__":
    main()
