#!/usr/bin/env python3
"""Fluxo block "Remote path": uses data that is already on the machine the step runs on, without copying it.

The path may use the machine's variables ($HOME, $STORE, $LUSTRE, ...); they are expanded here, in
Python, not by a shell. The output is a folder like Upload data gives: a link to the folder itself,
or a folder holding a link to the file under its own name. Nothing is copied, so very large data
sets cost nothing; the data must stay where it is while the pipeline runs.
"""
import argparse
import os
import re

from fluxo_block import fail


def expand(text):
    """~ and $VARIABLES of this machine expanded; an unset variable stops the step by name."""
    expanded = os.path.expanduser(os.path.expandvars(text.strip()))
    unset = re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", expanded)
    if unset:
        fail('"Path" uses $%s, which is not set on the machine the step runs on; write the path out in full.' % unset[0])
    return expanded


def link(target, name):
    """A symbolic link ``name`` -> ``target``, made under a temporary name and renamed into place."""
    tmp = name + ".partial"
    if os.path.lexists(tmp):
        os.remove(tmp)
    os.symlink(target, tmp)
    os.replace(tmp, name)


def main():
    parser = argparse.ArgumentParser(description="Point the pipeline at data already on this machine.")
    parser.add_argument("--path", default="")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()

    if not args.path.strip():
        fail('"Path" is empty; give the full path of the data on the cluster, e.g. $STORE/project/data.jsonl.')
    target = expand(args.path)
    if not os.path.isabs(target):
        fail('"Path" must be a full path starting with / or a variable like $HOME (it is "%s").' % args.path.strip())
    if not os.path.exists(target):
        fail('"%s" does not exist on the machine the step runs on; check the path, or copy the data there first.' % target)
    if not os.access(target, os.R_OK):
        fail('"%s" exists but you may not read it; ask its owner for read access.' % target)
    target = os.path.realpath(target)
    output = os.path.abspath(args.output)
    if os.path.isdir(target):
        link(target, output)
    else:
        os.makedirs(output, exist_ok=True)
        link(target, os.path.join(output, os.path.basename(target)))
    print("Linked %s %s" % ("folder" if os.path.isdir(target) else "file", target))


if __name__ == "__main__":
    main()
