#!/usr/bin/env bash
# Fluxo block "Trim reads (fastp)": quality control, adapter and quality trimming of FASTQ reads.
#
# fastp itself accepts an empty or malformed file, and stops silently at the end of the shorter
# file of a pair; a pipeline would then go on with a fraction of the data. So the inputs are
# checked first, and the two files of a pair are counted (while fastp runs) to be sure fastp read
# every record of both.
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

# Fails unless the file exists and its first record is a FASTQ record; prints the read's name.
check_fastq() {
  local path="$1" what="$2" record name
  [ -n "$path" ] || fail "no ${what} is connected; connect a FASTQ output (for example Reads 1 of Synthetic reads) to this step."
  [ -f "$path" ] || fail "the ${what} \"${path}\" does not exist; run the step that produces it first."
  [ -s "$path" ] || fail "the ${what} \"${path}\" is empty; check the step or file that produces it."
  if is_gzip "$path" && [[ "$path" != *.gz ]]; then
    fail "the ${what} \"${path}\" is gzip-compressed but its name does not end in .gz; rename it to end in .gz."
  fi
  record="$(decompress "$path" 2>/dev/null | head -n 4 || true)"
  [ -n "$record" ] || fail "the ${what} \"${path}\" contains no reads; check the step or file that produces it."
  local -a lines
  mapfile -t lines <<<"$record"
  if [ "${#lines[@]}" -lt 4 ] || [[ "${lines[0]}" != @* ]] || [[ "${lines[2]}" != +* ]] || [ "${#lines[1]}" -ne "${#lines[3]}" ]; then
    fail "the ${what} \"${path}\" is not a FASTQ file (a record is 4 lines: @name, bases, +, qualities); connect reads in FASTQ format."
  fi
  name="${lines[0]#@}"
  name="${name%%[[:space:]]*}"
  printf '%s\n' "${name%/[12]}"
}

count_records() {
  local lines
  lines="$(decompress "$1" | wc -l)"
  printf '%s\n' "$((lines / 4))"
}

reads_1="" reads_2="" qualified_quality="" unqualified_percent="" min_length="" cut_tail="" cut_tail_quality=""
trim_adapters="" trimmed_1="" trimmed_2="" json="" html=""
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || fail "option $1 has no value; this is a Fluxo bug, please report it."
  case "$1" in
    --reads-1) reads_1="$2" ;;
    --reads-2) reads_2="$2" ;;
    --qualified-quality) qualified_quality="$2" ;;
    --unqualified-percent) unqualified_percent="$2" ;;
    --min-length) min_length="$2" ;;
    --cut-tail) cut_tail="$2" ;;
    --cut-tail-quality) cut_tail_quality="$2" ;;
    --trim-adapters) trim_adapters="$2" ;;
    --trimmed-1) trimmed_1="$2" ;;
    --trimmed-2) trimmed_2="$2" ;;
    --json) json="$2" ;;
    --html) html="$2" ;;
    *) fail "unknown option \"$1\"; this is a Fluxo bug, please report it." ;;
  esac
  shift 2
done
[ -n "$trimmed_1" ] && [ -n "$trimmed_2" ] && [ -n "$json" ] && [ -n "$html" ] ||
  fail "an output file name is missing; this is a Fluxo bug, please report it."

integer() { # value, setting title, default, min, max
  local value="${1:-$3}"
  [[ "$value" =~ ^[0-9]+$ ]] && [ "$value" -ge "$4" ] && [ "$value" -le "$5" ] ||
    fail "\"$2\" must be a whole number from $4 to $5 (it is \"$1\")."
  printf '%s\n' "$value"
}
boolean() { # value, setting title, default
  case "${1:-$3}" in
    true | yes | 1) echo true ;;
    false | no | 0) echo false ;;
    *) fail "\"$2\" must be true or false (it is \"$1\")." ;;
  esac
}
qualified_quality="$(integer "$qualified_quality" "Base quality" 15 1 60)"
unqualified_percent="$(integer "$unqualified_percent" "Low-quality bases allowed (%)" 40 0 100)"
min_length="$(integer "$min_length" "Minimum length" 36 1 1000)"
cut_tail="$(boolean "$cut_tail" "Trim low-quality ends" false)"
cut_tail_quality="$(integer "$cut_tail_quality" "End quality" 20 1 60)"
trim_adapters="$(boolean "$trim_adapters" "Trim adapters" true)"

name_1="$(check_fastq "$reads_1" "Reads 1 input")"
paired=false
if [ -n "$reads_2" ]; then
  paired=true
  [ "$reads_1" != "$reads_2" ] ||
    fail "Reads 1 and Reads 2 are the same file \"$reads_1\"; connect the second file of the pair to Reads 2."
  name_2="$(check_fastq "$reads_2" "Reads 2 input")"
  [ "$name_1" = "$name_2" ] ||
    fail "Reads 1 starts with read \"$name_1\" but Reads 2 with \"$name_2\"; connect the two files of one paired-end run, in the same order."
fi

out_dir="$(dirname -- "$trimmed_1")"
mkdir -p -- "$out_dir"
work="$(mktemp -d "$out_dir/.fastp.XXXXXX")"
cleanup() {
  local job
  for job in $(jobs -p); do kill "$job" 2>/dev/null || true; done
  rm -rf -- "$work"
}
trap cleanup EXIT

# Outputs are written in a private folder and moved into place only when everything succeeded.
args=(--thread "$(threads)" --qualified_quality_phred "$qualified_quality"
  --unqualified_percent_limit "$unqualified_percent" --length_required "$min_length"
  --json "$work/fastp.json" --html "$work/fastp.html" --report_title "fastp report: $(basename -- "$reads_1")"
  --in1 "$reads_1" --out1 "$work/trimmed_1.fastq.gz")
if [ "$cut_tail" = true ]; then args+=(--cut_tail --cut_tail_mean_quality "$cut_tail_quality"); fi
if [ "$trim_adapters" = false ]; then
  args+=(--disable_adapter_trimming)
elif [ "$paired" = true ]; then
  # Besides finding where the two reads of a pair overlap, look for the adapter sequence itself.
  args+=(--detect_adapter_for_pe)
fi
if [ "$paired" = true ]; then
  args+=(--in2 "$reads_2" --out2 "$work/trimmed_2.fastq.gz")
  count_records "$reads_1" >"$work/count_1" &
  counting_1=$!
  count_records "$reads_2" >"$work/count_2" &
  counting_2=$!
fi

echo "Running fastp $(fastp --version 2>&1 | sed 's/^fastp //') on $([ "$paired" = true ] && echo "paired-end" || echo "single-end") reads with $(threads) threads"
fastp "${args[@]}" || fail "fastp failed (exit status $?); its messages are above."

if [ "$paired" = true ]; then
  wait "$counting_1" && wait "$counting_2" || fail "the input reads could not be read to the end; a file may be truncated."
  count_1="$(cat "$work/count_1")"
  count_2="$(cat "$work/count_2")"
  [ "$count_1" = "$count_2" ] ||
    fail "Reads 1 has $count_1 reads but Reads 2 has $count_2; connect the two files of one paired-end run (a file may be truncated)."
fi

mv -f -- "$work/fastp.json" "$json"
mv -f -- "$work/fastp.html" "$html"
if [ "$paired" = true ]; then mv -f -- "$work/trimmed_2.fastq.gz" "$trimmed_2"; fi
mv -f -- "$work/trimmed_1.fastq.gz" "$trimmed_1"
echo "Wrote $trimmed_1$([ "$paired" = true ] && echo " and $trimmed_2"), $json, $html"
