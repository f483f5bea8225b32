#!/usr/bin/env python3
"""Fluxo block "Upload data": brings a file or folder from the user's computer into the run.

The output is always a folder: the uploaded folder's contents, or a folder holding the uploaded file
under its own name (so steps that go by the extension, like NIfTI readers, still can). On "This
computer" the copy is made here; for a cluster, Fluxo first sends the file or folder to the cluster
and this step copies it from where it arrived, so the next steps find it in the run like any output.
"""
import argparse
import os
import shutil

from fluxo_block import fail


def tree_size(path):
    if os.path.isfile(path):
        return 1, os.path.getsize(path)
    files = total = 0
    for folder, _, names in os.walk(path):
        for name in names:
            files += 1
            total += os.path.getsize(os.path.join(folder, name))
    return files, total


def human(size):
    for unit in ("bytes", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return ("%d %s" % (size, unit)) if unit == "bytes" else ("%.1f %s" % (size, unit))
        size /= 1000.0


def copy_into(source, kind, output):
    """Copies into a temporary folder beside ``output`` and renames it, so a failed copy leaves nothing."""
    tmp = output + ".partial"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        if kind == "file":
            os.makedirs(tmp)
            shutil.copy2(source, os.path.join(tmp, os.path.basename(source)))
        else:
            # Links inside the folder are followed: their targets may not exist where the run goes.
            shutil.copytree(source, tmp, symlinks=False)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        fail('could not copy "%s" (%s).' % (source, exc.strerror or exc))
    shutil.rmtree(output, ignore_errors=True)
    os.replace(tmp, output)


def main():
    parser = argparse.ArgumentParser(description="Bring a file or folder into the run.")
    parser.add_argument("--kind", default="file")
    parser.add_argument("--file", default="")
    parser.add_argument("--folder", default="")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()

    if args.kind not in ("file", "folder"):
        fail('"Upload" must be file or folder (it is "%s").' % args.kind)
    source = (args.file if args.kind == "file" else args.folder).strip()
    setting = "File" if args.kind == "file" else "Folder"
    if not source:
        fail('no %s is chosen; choose it in "%s".' % (args.kind, setting))
    source = os.path.abspath(os.path.expanduser(source))
    if args.kind == "file" and not os.path.isfile(source):
        fail('the file "%s" does not exist%s; choose an existing file in "File".'
             % (source, " (it is a folder: set Upload to folder)" if os.path.isdir(source) else ""))
    if args.kind == "folder" and not os.path.isdir(source):
        fail('the folder "%s" does not exist%s; choose an existing folder in "Folder".'
             % (source, " (it is a file: set Upload to file)" if os.path.isfile(source) else ""))
    output = os.path.abspath(args.output)
    if output == source or output.startswith(source.rstrip(os.sep) + os.sep):
        fail('the run folder is inside "%s", which would copy the run into itself; choose a folder that does not '
             "hold the run." % source)
    copy_into(source, args.kind, output)
    files, size = tree_size(output)
    print("Copied %d file%s (%s) from %s" % (files, "" if files == 1 else "s", human(size), source))


if __name__ == "__main__":
    main()
