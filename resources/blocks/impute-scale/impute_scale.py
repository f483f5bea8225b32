#!/usr/bin/env python3
"""Fluxo block "Impute and scale": fills empty cells and puts features on one scale.

Everything is learned from the training table only (fill values, means, standard deviations,
minimum and maximum) and then applied unchanged to both tables: the test table's own statistics
never reach the model, so the test stays an honest stand-in for new patients.
"""
import argparse

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from fluxo_block import fail, list_columns, read_table, write_atomically

IMPUTE = {"mean": "the mean", "median": "the median", "most_frequent": "the most frequent value"}
SCALE = {"standard": "to mean 0 and standard deviation 1", "minmax": "to the range 0 to 1", "none": None}


def main():
    parser = argparse.ArgumentParser(description="Impute missing values and scale features, fitted on the train table.")
    parser.add_argument("--train", default="")
    parser.add_argument("--test", default="")
    parser.add_argument("--target-column", default="target")
    parser.add_argument("--impute", default="median")
    parser.add_argument("--scale", default="standard")
    parser.add_argument("--train-output", required=True)
    parser.add_argument("--test-output", required=True)
    args = parser.parse_args()

    target = args.target_column.strip() or "target"
    impute = args.impute.strip() or "median"
    scale = args.scale.strip() or "standard"
    if impute not in IMPUTE:
        fail('unknown "Fill empty cells with" value "%s"; choose one of: %s.' % (impute, ", ".join(IMPUTE)))
    if scale not in SCALE:
        fail('unknown "Scaling" value "%s"; choose one of: %s.' % (scale, ", ".join(SCALE)))

    train = read_table(args.train, "training table")
    test = read_table(args.test, "test table")
    print("Loaded %d training rows and %d test rows, %d columns" % (len(train), len(test), train.shape[1]))
    lacking = [c for c in train.columns if c not in test.columns]
    if lacking:
        fail("the test table lacks %d column(s) of the training table: %s. Connect the two parts of one split."
             % (len(lacking), list_columns(lacking)))
    extra = [c for c in test.columns if c not in train.columns]
    if extra:
        fail("the test table has %d column(s) the training table does not: %s. Connect the two parts of one split."
             % (len(extra), list_columns(extra)))
    test = test[list(train.columns)]  # same column order as the training table

    if target not in train.columns:
        # Scaling the outcome by mistake would turn classes 0/1 into -0.8/1.3: refuse instead.
        fail('the training table has no column "%s"; its columns are %s. Set "Target column" to the outcome column, '
             "which is left as it is." % (target, list_columns(train.columns)))
    features = [c for c in train.columns if c != target]
    numeric = [c for c in features if pd.api.types.is_numeric_dtype(train[c])]
    text = [c for c in features if c not in numeric]
    unmeasured = [c for c in features if train[c].isna().all()]
    if unmeasured:
        fail("these columns are empty in every training row, so there is nothing to fill them with: %s. "
             "Remove them from the table first." % list_columns(unmeasured))
    infinite = [c for c in numeric if pd.api.types.is_numeric_dtype(test[c])
                and not (np.isfinite(train[c].dropna()).all() and np.isfinite(test[c].dropna()).all())]
    if infinite:
        fail("these columns hold infinite values (inf): %s. Replace them with numbers or leave the cells empty."
             % list_columns(infinite))
    for c in text:
        if pd.api.types.is_numeric_dtype(test[c]):
            test[c] = test[c].astype(object).where(test[c].notna(), None)
    not_numbers = [c for c in numeric if not pd.api.types.is_numeric_dtype(test[c])]
    if not_numbers:
        fail("these columns hold numbers in the training table but text in the test table: %s. Check the test "
             "table's values." % list_columns(not_numbers))

    empty_train = int(train[features].isna().sum().sum())
    empty_test = int(test[features].isna().sum().sum())
    out_train, out_test = train.copy(), test.copy()
    if numeric:
        steps = SimpleImputer(strategy=impute)
        filled_train = steps.fit_transform(train[numeric])
        filled_test = steps.transform(test[numeric])
        fills = dict(zip(numeric, steps.statistics_))
        if SCALE[scale]:
            scaler = StandardScaler() if scale == "standard" else MinMaxScaler()
            filled_train = scaler.fit_transform(filled_train)
            filled_test = scaler.transform(filled_test)
        out_train[numeric] = filled_train
        out_test[numeric] = filled_test
        missing_cols = [c for c in numeric if train[c].isna().any() or test[c].isna().any()]
        for c in missing_cols:
            print('  "%s": %d + %d empty cells filled with %s of the training rows, %g'
                  % (c, int(train[c].isna().sum()), int(test[c].isna().sum()), IMPUTE[impute], fills[c]))
    for c in text:
        # Text cannot be averaged or scaled: empty cells get the training table's most frequent value.
        counts = train[c].value_counts()
        if train[c].isna().any() or test[c].isna().any():
            most = counts.index[0]
            out_train[c] = train[c].fillna(most)
            out_test[c] = test[c].fillna(most)
            print('  "%s" (text): empty cells filled with the most frequent training value, "%s"' % (c, most))

    print("Filled %d empty cells in the training table and %d in the test table (with %s of each column in the "
          "training rows)" % (empty_train, empty_test, IMPUTE[impute]))
    if SCALE[scale]:
        print("Scaled %d number columns %s, using the training rows only" % (len(numeric), SCALE[scale]))
    else:
        print("Scaling: none")
    if text:
        print("Text columns left unscaled: %s" % list_columns(text))
    # The outcome goes out as written: pandas would turn 0/1 with an empty cell into 0.0/1.0.
    out_train[target] = pd.read_csv(args.train, usecols=[target], dtype=str, keep_default_na=False)[target].to_numpy()
    out_test[target] = pd.read_csv(args.test, usecols=[target], dtype=str, keep_default_na=False)[target].to_numpy()
    write_atomically(args.train_output, lambda tmp: out_train.to_csv(tmp, index=False))
    write_atomically(args.test_output, lambda tmp: out_test.to_csv(tmp, index=False))
    print("Wrote %s, %s" % (args.train_output, args.test_output))


if __name__ == "__main__":
    main()
