#!/usr/bin/env bash
# Fluxo block "Align reads (bwa mem)": maps short reads to a reference genome, writes a BAM file.
#
# The reference's bwa index is built in this step's folder (never beside an input that belongs to
# another step), unless a complete index already sits beside the reference, as it does for shared
# genomes on clusters: building a human index takes an hour and 5 GB of memory.
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

is_gzip() {
  [ "$(LC_ALL=C head -c 2 -- "$1" | od -An -tx1 | tr -d ' \n')" = "1f8b" ]
}

decompress() {
  if is_gzip "$1"; then gzip -cd -- "$1"; else cat -- "$1"; fi
}

check_input() { # path, what, what to connect
  [ -n "$1" ] || fail "no $2 is connected; connect $3 to this step."
  [ -f "$1" ] || fail "the $2 \"$1\" does not exist; run the step that produces it first."
  [ -s "$1" ] || fail "the $2 \"$1\" is empty; check the step or file that produces it."
}

# Fails unless the first record is a FASTQ record; prints the read's name without /1 or /2.
check_fastq() {
  local path="$1" what="$2" record name
  check_input "$path" "$what" "a FASTQ output (for example Trimmed reads 1 of Trim reads)"
  record="$(decompress "$path" 2>/dev/null | head -n 4 || true)"
  [ -n "$record" ] || fail "the $what \"$path\" contains no reads; check the step or file that produces it."
  local -a lines
  mapfile -t lines <<<"$record"
  if [ "${#lines[@]}" -lt 4 ] || [[ "${lines[0]}" != @* ]] || [[ "${lines[2]}" != +* ]]; then
    fail "the $what \"$path\" is not a FASTQ file (a record is 4 lines: @name, bases, +, qualities); connect reads in FASTQ format."
  fi
  name="${lines[0]#@}"
  name="${name%%[[:space:]]*}"
  printf '%s\n' "${name%/[12]}"
}

reference="" reads_1="" reads_2="" sample="" min_score="" output=""
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || fail "option $1 has no value; this is a Fluxo bug, please report it."
  case "$1" in
    --reference) reference="$2" ;;
    --reads-1) reads_1="$2" ;;
    --reads-2) reads_2="$2" ;;
    --sample) sample="$2" ;;
    --min-score) min_score="$2" ;;
    --output) output="$2" ;;
    *) fail "unknown option \"$1\"; this is a Fluxo bug, please report it." ;;
  esac
  shift 2
done
[ -n "$output" ] || fail "no output file name was given; this is a Fluxo bug, please report it."

sample="${sample:-sample1}"
# The name goes into the BAM header's read group, where a tab or a newline would break the format.
[[ "$sample" =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$ ]] ||
  fail "\"Sample name\" may only use letters, digits, \".\", \"_\" and \"-\", starting with a letter or digit (it is \"$sample\")."
min_score="${min_score:-30}"
[[ "$min_score" =~ ^[0-9]+$ ]] && [ "$min_score" -le 1000 ] ||
  fail "\"Minimum alignment score\" must be a whole number from 0 to 1000 (it is \"$min_score\")."

check_input "$reference" "reference" "a reference genome in FASTA format (for example Reference of Synthetic reads)"
if is_gzip "$reference"; then
  first="$(gzip -cd -- "$reference" 2>/dev/null | head -c 1 || true)"
else
  first="$(head -c 1 -- "$reference")"
fi
[ "$first" = ">" ] || fail "the reference \"$reference\" is not a FASTA file (its first line must start with \">\"); connect a genome in FASTA format."

name_1="$(check_fastq "$reads_1" "Reads 1 input")"
if [ -n "$reads_2" ]; then
  [ "$reads_1" != "$reads_2" ] ||
    fail "Reads 1 and Reads 2 are the same file \"$reads_1\"; connect the second file of the pair to Reads 2."
  name_2="$(check_fastq "$reads_2" "Reads 2 input")"
  [ "$name_1" = "$name_2" ] ||
    fail "Reads 1 starts with read \"$name_1\" but Reads 2 with \"$name_2\"; connect the two files of one paired-end run, in the same order."
fi

out_dir="$(dirname -- "$output")"
mkdir -p -- "$out_dir"
work="$(mktemp -d "$out_dir/.bwa.XXXXXX")"
trap 'rm -rf -- "$work"' EXIT
n="$(threads)"

index="$reference"
for ext in amb ann bwt pac sa; do
  if [ ! -s "$reference.$ext" ]; then index=""; break; fi
done
if [ -n "$index" ]; then
  echo "Using the bwa index beside the reference ($reference.*)"
else
  index="$out_dir/reference/$(basename -- "$reference")"
  if [ ! -s "$index.sa" ] || [ "$index.sa" -ot "$reference" ]; then
    echo "Building the bwa index of $reference"
    rm -rf -- "$out_dir/reference"
    mkdir -p -- "$work/reference"
    ln -s -- "$(cd -- "$(dirname -- "$reference")" && pwd)/$(basename -- "$reference")" "$work/reference/$(basename -- "$reference")"
    bwa index "$work/reference/$(basename -- "$reference")" 2>"$work/index.log" ||
      { cat -- "$work/index.log" >&2; fail "bwa could not index the reference \"$reference\"; check that it is a valid FASTA file."; }
    mv -- "$work/reference" "$out_dir/reference"
  fi
fi

# bwa's progress lines go to a log file beside the BAM; the warnings that matter are checked below.
read_group="@RG\\tID:${sample}\\tSM:${sample}\\tPL:ILLUMINA"
reads=("$reads_1")
if [ -n "$reads_2" ]; then reads+=("$reads_2"); fi
echo "Aligning $([ ${#reads[@]} -eq 2 ] && echo "paired-end" || echo "single-end") reads of sample $sample with bwa mem ($n threads)"
status=0
bwa mem -t "$n" -T "$min_score" -R "$read_group" -- "$index" "${reads[@]}" 2>"$work/bwa.log" |
  samtools view --threads "$n" -b -o "$work/aligned.bam" - || status=$?
cp -- "$work/bwa.log" "$out_dir/bwa.log"
if grep -q "paired reads have different names" "$work/bwa.log"; then
  fail "the reads of Reads 1 and Reads 2 are not in the same order ($(grep -m1 -o 'different names: .*' "$work/bwa.log")); connect the two files of one paired-end run."
fi
if grep -q "file has fewer sequences" "$work/bwa.log"; then
  fail "Reads 1 and Reads 2 do not hold the same number of reads ($(grep -m1 -o 'the [12][a-z]* file has fewer sequences' "$work/bwa.log")); connect the two files of one paired-end run (a file may be truncated)."
fi
if [ "$status" -ne 0 ]; then
  grep -v '^\[M::' "$work/bwa.log" | tail -n 20 >&2 || true
  fail "bwa mem or samtools failed (exit status $status); the messages above say why (the whole log is $out_dir/bwa.log)."
fi

total="$(samtools view -c -F 0x900 -- "$work/aligned.bam")"
mapped="$(samtools view -c -F 0x904 -- "$work/aligned.bam")"
[ "$total" -gt 0 ] || fail "bwa wrote no alignments; check the reads."
[ "$mapped" -gt 0 ] || fail "none of the $total reads aligned to the reference; check that the reads come from this genome."
percent=$((100 * mapped / total))
echo "$mapped of $total reads aligned ($percent%)"
if [ "$percent" -lt 50 ]; then
  echo "Warning: only $percent% of the reads aligned; the reads may come from another genome or be contaminated."
fi
mv -f -- "$work/aligned.bam" "$output"
echo "Wrote $output"
