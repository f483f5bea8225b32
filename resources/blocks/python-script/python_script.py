#!/usr/bin/env python3
"""Fluxo block "Python script": runs the user's own .py file with the step's Python, by design.

The arguments setting is split into separate arguments with shlex (the rules of a POSIX shell's
quoting) here in Python: no shell ever sees it, so `$(...)`, backticks and `;` stay plain text.
{input} and {output} inside an argument become the input's path and the results folder.
"""
import argparse
import os
import shlex
import subprocess
import sys

from fluxo_block import fail


def split_arguments(text, input_path, results):
    """The script's argv after its name: shlex-split, then {input} and {output} filled in per argument."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        fail('the arguments cannot be split into words (%s): close the quote, or put a backslash before a quote '
             "that is part of a word." % str(exc).rstrip(".").lower())
    if not input_path and any("{input}" in w for w in words):
        fail('the arguments use {input}, but no input is connected; connect one or remove {input}.')
    return [w.replace("{input}", input_path).replace("{output}", results) for w in words]


def main():
    parser = argparse.ArgumentParser(description="Run your own Python script as a pipeline step.")
    parser.add_argument("--script", default="")
    parser.add_argument("--args", default="")
    parser.add_argument("--input", default="")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()

    script = args.script
    if not script.strip():
        fail('no script is chosen; choose your .py file in "Script".')
    script = os.path.abspath(os.path.expanduser(script))
    if not os.path.isfile(script):
        fail('the script "%s" does not exist; choose an existing .py file in "Script".' % script)
    if args.input and not os.path.exists(args.input):
        fail('the input "%s" does not exist; run the step that produces it first.' % args.input)
    results = os.path.abspath(args.output)
    argv = split_arguments(args.args, args.input, results)
    os.makedirs(results, exist_ok=True)
    env = dict(os.environ, FLUXO_INPUT=args.input, FLUXO_OUTPUT=results)
    print("Running %s" % " ".join(shlex.quote(w) for w in [os.path.basename(script)] + argv))
    sys.stdout.flush()
    status = subprocess.call([sys.executable, script] + argv, cwd=results, env=env)
    if status != 0:
        fail('the script "%s" stopped with exit status %d; its messages are above.' % (os.path.basename(script), status))


if __name__ == "__main__":
    main()
