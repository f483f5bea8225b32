#!/usr/bin/env bash
# Fluxo block "Container command": runs the user's own command inside an Apptainer/Singularity image.
#
# Arguments: IMAGE COMMAND GPU INPUT RESULTS STEP_FOLDER. The command text reaches `sh -e -c`
# inside the container as one argument (every image has sh; not every image has bash), byte for
# byte; a copy is kept in STEP_FOLDER/command.sh. The results folder and the input are bound into
# the container at the same paths, since Apptainer only binds $HOME, /tmp and the working folder.
set -euo pipefail

fail() {
  echo "error: $1" >&2
  exit 2
}

[ "$#" -eq 6 ] || fail "container_command.sh needs 6 arguments (image, command, gpu, input, results folder, step folder); got $#."
image=$1
command=$2
gpu=$3
input=$4
results=$5
step_folder=$6

runtime=""
for candidate in apptainer singularity; do
  if command -v "$candidate" >/dev/null 2>&1; then
    runtime=$candidate
    break
  fi
done
[ -n "$runtime" ] || fail "neither Apptainer nor Singularity is installed here; install Apptainer, or run this step on a cluster whose profile offers containers."

case "$image" in
  docker://?*) ;;
  /*.sif) [ -f "$image" ] || fail "the image \"$image\" does not exist on this machine; copy the .sif file there first or give a docker:// image." ;;
  *) fail "\"Image\" must be docker://NAME:TAG or the full path of a .sif file (it is \"$image\")." ;;
esac
[ -n "${command//[[:space:]]/}" ] || fail 'the command is empty; type the command to run inside the container in "Command".'
if [ -n "$input" ] && [ ! -e "$input" ]; then
  fail "the input \"$input\" does not exist; run the step that produces it first."
fi

mkdir -p -- "$results" "$step_folder"
printf '%s' "$command" > "$step_folder/command.sh"

# Apptainer's --bind takes "src[:dest[:options]]" lists separated by commas, so such paths cannot be bound.
binds=()
add_bind() {
  case "$1" in
    *:* | *,*) fail "the path \"$1\" contains \":\" or \",\", which Apptainer cannot bind; rename the folder." ;;
  esac
  binds+=(--bind "$1")
}
add_bind "$results"
args=()
if [ -n "$input" ]; then
  add_bind "$input"
  real=$(realpath -- "$input")
  # A Remote path output is a link: its target must be visible inside the container too.
  if [ "$real" != "$input" ]; then add_bind "$real"; fi
  args=("$input")
fi

flags=()
case "$gpu" in
  auto)
    if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
      flags=(--nv)
    elif [ -e /dev/kfd ]; then
      flags=(--rocm)
    fi
    ;;
  none) ;;
  *) fail "\"GPUs\" must be auto or none (it is \"$gpu\")." ;;
esac

export FLUXO_INPUT="$input" FLUXO_OUTPUT="$results"
echo "Running in $image with $runtime${flags[*]:+ ${flags[*]}}"
status=0
# ${array[@]+...}: an empty array is "unbound" under set -u in bash before 4.4 (macOS ships 3.2).
"$runtime" exec ${flags[@]+"${flags[@]}"} "${binds[@]}" --pwd "$results" "$image" \
  /bin/sh -e -c "$command" container-command ${args[@]+"${args[@]}"} || status=$?
if [ "$status" -ne 0 ]; then
  echo "error: the command in the container stopped with exit status $status; its messages are above." >&2
  exit "$status"
fi
