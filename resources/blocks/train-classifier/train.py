#!/usr/bin/env python3
"""Fluxo block "Train classifier": fits a logistic regression or a random forest and saves it with joblib."""
import argparse
import os
import warnings

import joblib
import pandas as pd
import sklearn
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from fluxo_block import fail, list_columns, parse_integer, parse_number, plain, read_table, write_atomically

MODELS = {"logistic_regression": "logistic regression", "random_forest": "random forest"}


def target_values(table, target):
    """The outcome column without empty rows; whole-number floats become integers (1.0 -> 1)."""
    if target not in table.columns:
        fail('the table has no column "%s"; its columns are %s. Set "Target column" to the column that holds '
             "the outcome to predict." % (target, list_columns(table.columns)))
    missing = int(table[target].isna().sum())
    if missing:
        print('Dropped %d rows with no value in "%s"' % (missing, target))
        table = table[table[target].notna()].reset_index(drop=True)
    y = table[target]
    if y.dtype.kind == "f" and len(y) and (y == y.round()).all():
        y = y.astype("int64")
    return table, y


def check_features(table, features):
    text = [c for c in features if not pd.api.types.is_numeric_dtype(table[c])]
    if text:
        fail("these columns hold text, but the model needs numbers: %s. Remove them from the table or turn them "
             "into numbers (e.g. 0/1) before training." % list_columns(text))
    empty = [c for c in features if table[c].isna().any()]
    if empty:
        fail("these columns have empty cells: %s. Fill in or remove the incomplete rows or columns before training."
             % list_columns(empty))


def available_cpus():
    try:
        return max(1, len(os.sched_getaffinity(0)))  # respects Slurm and taskset CPU limits
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def main():
    parser = argparse.ArgumentParser(description="Train a classifier on a table.")
    parser.add_argument("--train", default="")
    parser.add_argument("--target-column", default="target")
    parser.add_argument("--model", default="logistic_regression")
    parser.add_argument("--c", default="1.0")
    parser.add_argument("--n-estimators", default="200")
    parser.add_argument("--max-depth", default="0")
    parser.add_argument("--seed", default="42")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()

    target = args.target_column.strip() or "target"
    kind = args.model.strip() or "logistic_regression"
    if kind not in MODELS:
        fail('unknown model "%s"; choose logistic_regression or random_forest.' % kind)
    c = parse_number(args.c, "Regularisation (C)", 1.0)
    n_estimators = parse_integer(args.n_estimators, "Number of trees", 200)
    max_depth = parse_integer(args.max_depth, "Maximum tree depth", 0)
    seed = parse_integer(args.seed, "Random seed", 42)
    if kind == "logistic_regression" and not c > 0:
        fail('"Regularisation (C)" must be above 0 (it is %s); 1 is a good start.' % c)
    if kind == "random_forest" and n_estimators < 1:
        fail('"Number of trees" must be at least 1 (it is %d); 200 is a good start.' % n_estimators)
    if max_depth < 0:
        fail('"Maximum tree depth" must be 0 (no limit) or more (it is %d).' % max_depth)
    if not 0 <= seed <= 2**32 - 1:
        fail('"Random seed" must be between 0 and 4294967295 (it is %d).' % seed)

    table = read_table(args.train, "training table")
    print("Loaded %d rows, %d columns" % (len(table), table.shape[1]))
    table, y = target_values(table, target)
    features = [str(col) for col in table.columns if col != target]
    if not features:
        fail('the table has no columns besides "%s"; the model needs at least one feature column.' % target)
    check_features(table, features)
    classes = y.unique().tolist()
    if len(classes) < 2:
        fail('"%s" has the same value (%s) in every training row, so there is nothing to learn; check "Target column" '
             "and that the split kept both classes (turn \"Stratify\" on)." % (target, classes[0] if classes else "none"))
    if len(classes) > 50:
        fail('"%s" has %d different values; a classifier needs categories (like 0/1), not measurements. '
             "Choose a column with a few classes." % (target, len(classes)))
    X = table[features]

    if kind == "logistic_regression":
        estimator = Pipeline([
            ("scale", StandardScaler()),
            ("classify", LogisticRegression(C=c, max_iter=10000, random_state=seed)),
        ])
        params = {"c": c}
        print("Training logistic regression (C = %g) on %d rows, %d features" % (c, len(X), len(features)))
    else:
        estimator = RandomForestClassifier(
            n_estimators=n_estimators,
            max_depth=None if max_depth == 0 else max_depth,
            random_state=seed,
            n_jobs=min(available_cpus(), n_estimators),
        )
        params = {"n_estimators": n_estimators, "max_depth": max_depth}
        print("Training random forest (%d trees, max depth %s) on %d rows, %d features"
              % (n_estimators, max_depth or "unlimited", len(X), len(features)))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        try:
            estimator.fit(X, y)
        except ValueError as exc:
            fail("training failed: %s. Check that every feature column holds finite numbers." % str(exc).rstrip("."))
    for w in caught:
        if not issubclass(w.category, ConvergenceWarning):
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    if any(issubclass(w.category, ConvergenceWarning) for w in caught):
        print('Note: the logistic regression did not fully converge; the model is usable, but a lower '
              '"Regularisation (C)" (e.g. 1) usually fixes this.')

    accuracy = float((estimator.predict(X) == y.to_numpy()).mean())
    print("Training accuracy %.4f (optimistic: measured on the rows the model learned from)" % accuracy)

    saved = {
        "model": estimator,
        "features": features,
        "target": target,
        "classes": [plain(v) for v in estimator.classes_],
        "kind": kind,
        "params": dict(params, seed=seed),
        "n_train": int(len(X)),
        "sklearn_version": sklearn.__version__,
    }
    write_atomically(args.output, lambda tmp: joblib.dump(saved, tmp))
    print("Wrote " + args.output)


if __name__ == "__main__":
    main()
