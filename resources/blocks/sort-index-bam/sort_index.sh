#!/usr/bin/env bash
# Fluxo block "Sort and index BAM": coordinate-sorts alignments with samtools, optionally marks
# PCR/optical duplicates, indexes the result and counts the reads (flagstat).
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

input="" mark_duplicates="" memory_per_thread="" output="" index="" flagstat=""
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || fail "option $1 has no value; this is a Fluxo bug, please report it."
  case "$1" in
    --input) input="$2" ;;
    --mark-duplicates) mark_duplicates="$2" ;;
    --memory-per-thread) memory_per_thread="$2" ;;
    --output) output="$2" ;;
    --index) index="$2" ;;
    --flagstat) flagstat="$2" ;;
    *) fail "unknown option \"$1\"; this is a Fluxo bug, please report it." ;;
  esac
  shift 2
done
[ -n "$output" ] && [ -n "$index" ] && [ -n "$flagstat" ] ||
  fail "an output file name is missing; this is a Fluxo bug, please report it."
[ "$index" = "$output.bai" ] ||
  fail "the index must be named after the BAM file plus .bai for other tools to find it; this is a Fluxo bug, please report it."

case "${mark_duplicates:-true}" in
  true | yes | 1) mark_duplicates=true ;;
  false | no | 0) mark_duplicates=false ;;
  *) fail "\"Mark duplicates\" must be true or false (it is \"$mark_duplicates\")." ;;
esac
memory_per_thread="${memory_per_thread:-768}"
[[ "$memory_per_thread" =~ ^[0-9]+$ ]] && [ "$memory_per_thread" -ge 64 ] && [ "$memory_per_thread" -le 65536 ] ||
  fail "\"Sort memory per thread (MB)\" must be a whole number from 64 to 65536 (it is \"$memory_per_thread\")."

[ -n "$input" ] || fail "no alignments are connected; connect a BAM output (for example Alignments of Align reads) to this step."
[ -f "$input" ] || fail "the alignments \"$input\" do not exist; run the step that produces them first."
[ -s "$input" ] || fail "the alignments \"$input\" are empty; check the step or file that produces them."
# Reading a CRAM file needs its reference genome, which htslib would otherwise try to download.
[ "$(LC_ALL=C head -c 4 -- "$input")" != "CRAM" ] ||
  fail "the alignments \"$input\" are a CRAM file, which needs its reference to read; convert it to BAM first (samtools view -b -T reference.fa)."
samtools quickcheck -- "$input" 2>/dev/null ||
  fail "the alignments \"$input\" are not a complete BAM or SAM file (the file may be truncated); connect the output of Align reads."

out_dir="$(dirname -- "$output")"
mkdir -p -- "$out_dir"
work="$(mktemp -d "$out_dir/.sort.XXXXXX")"
trap 'rm -rf -- "$work"' EXIT
n="$(threads)"
# samtools counts -@ as threads in addition to the main one.
extra=$((n > 1 ? n - 1 : 0))
sort_args=(-@ "$extra" -m "${memory_per_thread}M" -T "$work/sort")

if [ "$mark_duplicates" = true ]; then
  # markdup needs mate information (fixmate -m), which needs reads grouped by name (collate).
  echo "Sorting by position and marking duplicates with samtools $(samtools --version | head -n 1 | cut -d' ' -f2) ($n threads)"
  samtools collate -@ "$extra" -O -u -- "$input" "$work/collate" |
    samtools fixmate -@ "$extra" -m -u - - |
    samtools sort "${sort_args[@]}" -u - |
    samtools markdup -@ "$extra" -s -T "$work/markdup" - "$work/sorted.bam" ||
    fail "samtools could not sort the alignments or mark duplicates; the messages above say why."
else
  echo "Sorting by position with samtools $(samtools --version | head -n 1 | cut -d' ' -f2) ($n threads)"
  samtools sort "${sort_args[@]}" -o "$work/sorted.bam" -- "$input" ||
    fail "samtools could not sort the alignments; the messages above say why."
fi
samtools index -@ "$extra" -- "$work/sorted.bam" "$work/sorted.bam.bai" ||
  fail "samtools could not index the sorted alignments; the messages above say why."
samtools flagstat -@ "$extra" -O json -- "$work/sorted.bam" >"$work/flagstat.json"
echo "Read counts (samtools flagstat):"
samtools flagstat -@ "$extra" -- "$work/sorted.bam"

mv -f -- "$work/flagstat.json" "$flagstat"
# The BAM goes last so its index is never older than it: tools warn about an older index.
mv -f -- "$work/sorted.bam" "$output"
mv -f -- "$work/sorted.bam.bai" "$index"
touch -- "$index"
echo "Wrote $output, $index and $flagstat"
