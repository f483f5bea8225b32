#!/usr/bin/env python3
"""Fluxo block "Download results": gathers chosen outputs of earlier steps into one folder.

Each input (any number, any kind) is placed under the name of the step that made it, keeping the
sweep task folder when there is one: steps/train/task-2/model.joblib becomes train/task-2/model.joblib.
Files are hard-linked when the file system allows it (no extra space, same content) and copied
otherwise. Fluxo brings this step's folder back from a cluster when the run ends; on "This computer"
it is simply part of the run folder. A contents.json lists where each item came from.
"""
import argparse
import json
import os
import shutil

from fluxo_block import fail, write_text


def place_of(path, index):
    """Where an input goes inside the results folder: its path below steps/, or NN-name outside a run."""
    parts = os.path.abspath(path).split(os.sep)
    if "steps" in parts[:-2]:
        start = len(parts) - 1 - parts[::-1].index("steps") + 1
        return os.path.join(*parts[start:])
    return "%02d-%s" % (index + 1, parts[-1])


def link_or_copy(source, destination):
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def gather(source, destination):
    """Files are linked or copied; folders are rebuilt, following links (Remote path gives links)."""
    if os.path.isdir(source):
        shutil.copytree(source, destination, copy_function=link_or_copy, symlinks=False)
    else:
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        link_or_copy(source, destination)


def main():
    parser = argparse.ArgumentParser(description="Gather outputs of earlier steps into one folder.")
    parser.add_argument("--results", nargs="*", default=[])
    parser.add_argument("--output", required=True)
    args = parser.parse_args()

    paths = [p for p in args.results if p]
    if not paths:
        fail("nothing is connected; connect the outputs to bring back to Results.")
    output = os.path.abspath(args.output)
    tmp = output + ".partial"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    contents, used = [], set()
    for index, path in enumerate(paths):
        if not os.path.exists(path):
            shutil.rmtree(tmp, ignore_errors=True)
            fail('the output "%s" does not exist; run the step that produces it first.' % path)
        place = place_of(path, index)
        if place in used or place == "contents.json":
            place = "%02d-%s" % (index + 1, place.replace(os.sep, "-"))
        used.add(place)
        try:
            gather(path, os.path.join(tmp, place))
        except (OSError, shutil.Error) as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            fail('could not gather "%s" (%s).' % (path, exc))
        contents.append({"path": place.replace(os.sep, "/"), "from": os.path.abspath(path)})
    write_text(os.path.join(tmp, "contents.json"), json.dumps(contents, indent=2, ensure_ascii=False) + "\n")
    shutil.rmtree(output, ignore_errors=True)
    os.replace(tmp, output)
    print("Gathered %d output%s into %s" % (len(paths), "" if len(paths) == 1 else "s", output))


if __name__ == "__main__":
    main()
