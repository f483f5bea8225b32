#!/usr/bin/env bash
# Fluxo block "Shell command": runs the user's own bash command, by design.
#
# Arguments: COMMAND INPUT RESULTS STEP_FOLDER. The command text is handed to `bash -c` as one
# argument, never pasted into a script, so it reaches bash byte for byte; a copy is kept in
# STEP_FOLDER/command.sh as the record of what ran. INPUT is the connected input's path ("" when
# none); the command sees it as $1 and in FLUXO_INPUT, and writes its files into RESULTS (its
# working folder, also in FLUXO_OUTPUT).
set -euo pipefail

if [ "$#" -ne 4 ]; then
  echo "error: shell_command.sh needs 4 arguments (command, input, results folder, step folder); got $#." >&2
  exit 2
fi
command=$1
input=$2
results=$3
step_folder=$4

if [ -z "${command//[[:space:]]/}" ]; then
  echo 'error: the command is empty; type the bash command to run in "Command".' >&2
  exit 2
fi
if [ -n "$input" ] && [ ! -e "$input" ]; then
  echo "error: the input \"$input\" does not exist; run the step that produces it first." >&2
  exit 2
fi

mkdir -p -- "$results" "$step_folder"
printf '%s' "$command" > "$step_folder/command.sh"
cd -- "$results"
export FLUXO_INPUT="$input" FLUXO_OUTPUT="$results"

# -e and pipefail: a failing line or pipe stage stops the command, as in Fluxo's own step scripts.
args=()
if [ -n "$input" ]; then args=("$input"); fi
status=0
# ${args[@]+...}: an empty array is "unbound" under set -u in bash before 4.4 (macOS ships 3.2).
bash -e -o pipefail -c "$command" shell-command ${args[@]+"${args[@]}"} || status=$?
if [ "$status" -ne 0 ]; then
  echo "error: the command stopped with exit status $status; its messages are above." >&2
  exit "$status"
fi
