#!/usr/bin/env python3
"""Fluxo block "Load CSV": reads the user's table and writes it again as a plain comma-separated CSV."""
import argparse
import os

import pandas as pd

from fluxo_block import fail, write_atomically

SEPARATORS = {"comma": ",", "semicolon": ";", "tab": "\t"}
SEPARATOR_WORDS = {",": "comma", ";": "semicolon", "\t": "tab"}


def read_head(path):
    try:
        with open(path, "rb") as handle:
            return handle.read(65536)
    except OSError as exc:
        fail('cannot read "%s" (%s); check that the file is readable.' % (path, exc.strerror or exc))


def main():
    parser = argparse.ArgumentParser(description="Read a CSV/TSV file and write a normalised comma CSV.")
    parser.add_argument("--file", default="")
    parser.add_argument("--separator", default="comma")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()

    path = args.file
    if not path:
        fail('no file was chosen; set "File" in the step\'s settings.')
    sep_name = args.separator.strip() or "comma"
    if sep_name not in SEPARATORS:
        fail('unknown separator "%s"; choose comma, semicolon or tab.' % sep_name)
    sep = SEPARATORS[sep_name]
    if not os.path.exists(path):
        fail('the file "%s" does not exist; check "File" in the step\'s settings (it may have been moved or renamed).' % path)
    if os.path.isdir(path):
        fail('"%s" is a folder, not a file; choose a .csv, .tsv or .txt file.' % path)

    head = read_head(path)
    if not head.strip():
        fail('the file "%s" is empty; choose a file that has a header line and at least one row.' % path)
    if b"\x00" in head:
        fail('"%s" is not a text table (it looks like a binary file, e.g. an Excel workbook); '
             "save it as CSV from your spreadsheet program and choose that file." % path)
    encoding = "utf-8-sig"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        cut_at_end = len(head) == 65536 and exc.start >= len(head) - 4  # a character split by the sample's end
        if not cut_at_end:
            encoding = "latin-1"

    try:
        table = pd.read_csv(path, sep=sep, encoding=encoding, skipinitialspace=True, float_precision="round_trip")
    except pd.errors.EmptyDataError:
        fail('the file "%s" has no columns; choose a file that has a header line and at least one row.' % path)
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else "unreadable line"
        fail('could not read "%s" as a %s-separated table (%s); check "Separator" and that every line has '
             "the same number of fields." % (path, sep_name, detail))
    except UnicodeDecodeError:
        fail('"%s" is not a readable text file; save it as CSV (UTF-8) and choose it again.' % path)

    table.columns = [str(c).strip() for c in table.columns]
    if len(table) == 0:
        fail('the file "%s" has a header but no data rows; choose a file with at least one row.' % path)
    if table.shape[1] == 1:
        header = table.columns[0]
        for other, word in SEPARATOR_WORDS.items():
            if other != sep and other in header:
                fail('"%s" was read as a single column, but its header contains %s characters; set "Separator" to %s.'
                     % (path, word, word))
    print("Loaded %d rows, %d columns from %s" % (len(table), table.shape[1], os.path.basename(path)))
    missing = int(table.isna().sum().sum())
    if missing:
        print("Note: %d empty cells; later blocks may need complete rows." % missing)

    write_atomically(args.output, lambda tmp: table.to_csv(tmp, index=False))
    print("Wrote " + args.output)


if __name__ == "__main__":
    main()
