#!/usr/bin/env bash
# Fluxo block "Call variants (bcftools)": finds SNVs and short indels in sorted, indexed
# alignments with bcftools mpileup + call, flags weak calls, writes a bgzipped VCF and its index.
set -euo pipefail

fail() {
  printf 'error: %s\n' "$*" >&2
  exit 2
}

# The CPUs this step was given: Slurm's allocation, else what Fluxo's local runner allows, else all.
threads() {
  local n="${SLURM_CPUS_PER_TASK:-${OMP_NUM_THREADS:-}}"
  case "$n" in
    '' | *[!0-9]* | 0) n="$(nproc 2>/dev/null || echo 1)" ;;
  esac
  printf '%s\n' "$n"
}

alignment="" reference="" min_base_quality="" min_mapping_quality="" max_depth="" ploidy="" min_qual="" min_depth=""
regions="" output="" index=""
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || fail "option $1 has no value; this is a Fluxo bug, please report it."
  case "$1" in
    --alignment) alignment="$2" ;;
    --reference) reference="$2" ;;
    --min-base-quality) min_base_quality="$2" ;;
    --min-mapping-quality) min_mapping_quality="$2" ;;
    --max-depth) max_depth="$2" ;;
    --ploidy) ploidy="$2" ;;
    --min-qual) min_qual="$2" ;;
    --min-depth) min_depth="$2" ;;
    --regions) regions="$2" ;;
    --output) output="$2" ;;
    --index) index="$2" ;;
    *) fail "unknown option \"$1\"; this is a Fluxo bug, please report it." ;;
  esac
  shift 2
done
[ -n "$output" ] && [ -n "$index" ] || fail "an output file name is missing; this is a Fluxo bug, please report it."
[ "$index" = "$output.tbi" ] ||
  fail "the index must be named after the VCF file plus .tbi for other tools to find it; this is a Fluxo bug, please report it."

integer() { # value, setting title, default, min, max
  local value="${1:-$3}"
  [[ "$value" =~ ^[0-9]+$ ]] && [ "${#value}" -le 9 ] && [ "$value" -ge "$4" ] && [ "$value" -le "$5" ] ||
    fail "\"$2\" must be a whole number from $4 to $5 (it is \"$1\")."
  printf '%s\n' "$value"
}
min_base_quality="$(integer "$min_base_quality" "Minimum base quality" 13 0 93)"
min_mapping_quality="$(integer "$min_mapping_quality" "Minimum mapping quality" 20 0 60)"
max_depth="$(integer "$max_depth" "Maximum depth" 250 10 100000000)"
min_depth="$(integer "$min_depth" "Minimum depth" 3 0 100000)"
min_qual="${min_qual:-20}"
# The value becomes part of a bcftools filter expression, so it must be a plain number.
[[ "$min_qual" =~ ^[0-9]+([.][0-9]+)?([eE][-+]?[0-9]+)?$ ]] ||
  fail "\"Minimum quality (QUAL)\" must be a number of 0 or more (it is \"$min_qual\")."
case "${ploidy:-diploid}" in
  diploid) ploidy_args=() ;;
  haploid) ploidy_args=(--ploidy 1) ;;
  *) fail "\"Ploidy\" must be diploid or haploid (it is \"$ploidy\")." ;;
esac

[ -n "$alignment" ] || fail "no alignments are connected; connect Sorted BAM of a Sort and index BAM step to this step."
[ -f "$alignment" ] || fail "the alignments \"$alignment\" do not exist; run the step that produces them first."
[ -s "$alignment" ] || fail "the alignments \"$alignment\" are empty; check the step that produces them."
if [ ! -s "$alignment.bai" ] && [ ! -s "$alignment.csi" ] && [ ! -s "${alignment%.*}.bai" ]; then
  fail "the alignments \"$alignment\" have no index (.bai) beside them; sort and index them with a Sort and index BAM step first."
fi
[ -n "$reference" ] || fail "no reference is connected; connect the genome the reads were aligned to (FASTA) to this step."
[ -f "$reference" ] || fail "the reference \"$reference\" does not exist; run the step that produces it first."
[ -s "$reference" ] || fail "the reference \"$reference\" is empty; check the step or file that produces it."

out_dir="$(dirname -- "$output")"
mkdir -p -- "$out_dir"
work="$(mktemp -d "$out_dir/.call.XXXXXX")"
trap 'rm -rf -- "$work"' EXIT
n="$(threads)"

# bcftools needs a .fai index beside the reference and makes one when there is none; a link in
# this step's folder keeps it from writing into the folder of the step that made the reference.
reference_dir="$out_dir/reference"
mkdir -p -- "$reference_dir"
linked="$reference_dir/$(basename -- "$reference")"
rm -f -- "$linked" "$linked.fai" "$linked.gzi"
ln -s -- "$(cd -- "$(dirname -- "$reference")" && pwd)/$(basename -- "$reference")" "$linked"
for ext in fai gzi; do
  if [ -s "$reference.$ext" ] && [ ! "$reference.$ext" -ot "$reference" ]; then cp -- "$reference.$ext" "$linked.$ext"; fi
done

region_args=()
if [ -n "$regions" ]; then region_args=(--regions "$regions"); fi
echo "Calling variants with bcftools $(bcftools --version | head -n 1 | cut -d' ' -f2): ${ploidy:-diploid}," \
  "base quality >= $min_base_quality, mapping quality >= $min_mapping_quality${regions:+, regions $regions}"
status=0
bcftools mpileup --fasta-ref "$linked" --annotate FORMAT/AD,FORMAT/DP --min-BQ "$min_base_quality" \
  --min-MQ "$min_mapping_quality" --max-depth "$max_depth" "${region_args[@]}" --output-type u -- "$alignment" 2>"$work/mpileup.log" |
  bcftools call --multiallelic-caller --variants-only "${ploidy_args[@]}" --output-type u 2>"$work/call.log" |
  bcftools filter --soft-filter LowQual --exclude "QUAL<$min_qual || INFO/DP<$min_depth" --output-type z \
    --threads "$n" --output "$work/variants.vcf.gz" || status=$?
# The last lines of bcftools' messages, without its usual notes and without repeats.
show_log() {
  grep -hv '^\[mpileup\] \|^Note: none of --samples-file' -- "$work/mpileup.log" "$work/call.log" | uniq | tail -n 20 >&2 || true
}
if [ "$status" -ne 0 ]; then
  show_log
  if grep -q "Cannot index files compressed with gzip" "$work/mpileup.log"; then
    fail "the reference \"$reference\" is compressed with gzip; bcftools needs it uncompressed or compressed with bgzip."
  fi
  fail "bcftools failed (exit status $status); the messages above say why."
fi

# bcftools only warns when the alignments were made against another genome, and calls nothing or
# nonsense. The VCF header lists the sequences of the alignments; each must be in the reference
# with the same length.
[ -s "$linked.fai" ] || { show_log; fail "bcftools could not index the reference \"$reference\"; check that it is a FASTA file."; }
mismatch="$(bcftools view --header-only -- "$work/variants.vcf.gz" | awk -F '\t' '
  NR == FNR { length_of[$1] = $2; next }
  /^##contig=<ID=/ && problem == "" {
    id = $0; sub(/^##contig=<ID=/, "", id); sub(/[,>].*$/, "", id)
    size = ""; if (match($0, /length=[0-9]+/)) size = substr($0, RSTART + 7, RLENGTH - 7)
    if (!(id in length_of)) problem = "sequence \"" id "\" of the alignments is not in the reference"
    else if (size != "" && size != length_of[id]) problem = "sequence \"" id "\" has " size " bases in the alignments but " length_of[id] " in the reference"
  }
  END { print problem }' "$linked.fai" -)"
if [ -n "$mismatch" ]; then
  fail "the reads were aligned to another reference ($mismatch); connect the reference they were aligned to."
fi
show_log
bcftools index --tbi --threads "$n" -- "$work/variants.vcf.gz"

total="$(bcftools view --no-header -- "$work/variants.vcf.gz" | wc -l)"
passed="$(bcftools view --no-header --apply-filters PASS -- "$work/variants.vcf.gz" | wc -l)"
echo "$total variant sites called, $passed pass the filters (QUAL >= $min_qual, depth >= $min_depth)"
mv -f -- "$work/variants.vcf.gz" "$output"
mv -f -- "$work/variants.vcf.gz.tbi" "$index"
touch -- "$index"
echo "Wrote $output and $index"
