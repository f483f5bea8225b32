#!/usr/bin/env python3
"""Fluxo block "Split train/test": divides a table into a training part and a held-out test part."""
import argparse

import pandas as pd  # noqa: F401  (read_table reads the input with pandas)
from sklearn.model_selection import train_test_split

from fluxo_block import fail, list_columns, parse_boolean, parse_integer, parse_number, read_table, write_atomically


def main():
    parser = argparse.ArgumentParser(description="Split a table into train and test parts.")
    parser.add_argument("--input", default="")
    parser.add_argument("--target-column", default="target")
    parser.add_argument("--test-fraction", default="0.25")
    parser.add_argument("--stratify", default="true")
    parser.add_argument("--seed", default="42")
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    args = parser.parse_args()

    target = args.target_column.strip() or "target"
    fraction = parse_number(args.test_fraction, "Test fraction", 0.25)
    stratify = parse_boolean(args.stratify, "Stratify", True)
    seed = parse_integer(args.seed, "Random seed", 42)
    if not 0 < fraction < 1:
        fail('"Test fraction" must be between 0 and 1 (it is %s); 0.25 keeps a quarter of the rows for testing.' % fraction)
    if not 0 <= seed <= 2**32 - 1:
        fail('"Random seed" must be between 0 and 4294967295 (it is %d).' % seed)

    table = read_table(args.input, "input table")
    print("Loaded %d rows, %d columns" % (len(table), table.shape[1]))
    if target not in table.columns:
        fail('the table has no column "%s"; its columns are %s. Set "Target column" to the column that holds '
             "the outcome to predict." % (target, list_columns(table.columns)))
    missing = int(table[target].isna().sum())
    if missing:
        table = table[table[target].notna()].reset_index(drop=True)
        print('Dropped %d rows with no value in "%s"' % (missing, target))
    n = len(table)
    n_test = int(round(n * fraction))  # what train_test_split does, up to rounding up
    if n < 2 or n_test < 1 or n - n_test < 1:
        fail("%d rows cannot be split with a test fraction of %s; both parts need at least one row. "
             "Use a bigger table or change \"Test fraction\"." % (n, fraction))

    labels = None
    if stratify:
        counts = table[target].value_counts()
        if len(counts) < 2:
            fail('"%s" has a single value (%s) in every row, so there is nothing to stratify or predict; '
                 "check \"Target column\"." % (target, counts.index[0]))
        rare = counts[counts < 2]
        if len(rare):
            fail('stratifying needs at least 2 rows of each class, but %d class(es) of "%s" have only one '
                 '(for example %s). Turn "Stratify" off, or check that "%s" holds categories rather than '
                 "measurements." % (len(rare), target, rare.index[0], target))
        labels = table[target]

    try:
        train, test = train_test_split(table, test_size=fraction, random_state=seed, shuffle=True, stratify=labels)
    except ValueError as exc:
        fail("cannot split the table: %s. Try a larger \"Test fraction\" or turn \"Stratify\" off." % str(exc).rstrip("."))

    write_atomically(args.train, lambda tmp: train.to_csv(tmp, index=False))
    write_atomically(args.test, lambda tmp: test.to_csv(tmp, index=False))
    print("Train: %d rows, test: %d rows (%.0f%% held out%s, seed %d)"
          % (len(train), len(test), 100 * len(test) / n, ", stratified by " + target if stratify else "", seed))
    for name, part in (("train", train), ("test", test)):
        share = part[target].value_counts(normalize=True).sort_index()
        if len(share) <= 10:
            print("  %s classes: %s" % (name, ", ".join("%s %.1f%%" % (k, 100 * v) for k, v in share.items())))


if __name__ == "__main__":
    main()
