#!/usr/bin/env python3
"""Fluxo block "Train classifier": fits a classifier on a table and saves it with joblib.

The models (logistic regression, random forest, gradient boosting, XGBoost) are built by
fluxo_block.make_classifier, which Cross-validate shares, so both blocks mean the same model by
the same settings. XGBoost is optional: it is imported only when chosen.
"""
import argparse

import joblib
import pandas as pd  # noqa: F401  (read_table and check_features read the table with pandas)
import sklearn

from fluxo_block import (
    MODEL_TITLES,
    available_cpus,
    check_features,
    classifier_settings,
    fail,
    fit_quietly,
    make_classifier,
    plain,
    read_table,
    target_values,
    write_atomically,
)


def main():
    parser = argparse.ArgumentParser(description="Train a classifier on a table.")
    parser.add_argument("--train", default="")
    parser.add_argument("--target-column", default="target")
    parser.add_argument("--model", default="logistic_regression")
    parser.add_argument("--c", default="1.0")
    parser.add_argument("--n-estimators", default="200")
    parser.add_argument("--max-depth", default="0")
    parser.add_argument("--learning-rate", default="0.1")
    parser.add_argument("--seed", default="42")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()

    target = args.target_column.strip() or "target"
    settings = classifier_settings(args)

    table = read_table(args.train, "training table")
    print("Loaded %d rows, %d columns" % (len(table), table.shape[1]))
    table, y = target_values(table, target, "training table")
    features = [str(col) for col in table.columns if col != target]
    if not features:
        fail('the table has no columns besides "%s"; the model needs at least one feature column.' % target)
    check_features(table, features, "training table")
    classes = sorted(y.unique().tolist(), key=lambda v: (str(type(v)), v))
    if len(classes) < 2:
        fail('"%s" has the same value (%s) in every training row, so there is nothing to learn; check "Target column" '
             "and that the split kept both classes (turn \"Stratify\" on)." % (target, classes[0] if classes else "none"))
    if len(classes) > 50:
        fail('"%s" has %d different values; a classifier needs categories (like 0/1), not measurements. '
             "Choose a column with a few classes, or use Train regressor." % (target, len(classes)))
    X = table[features]

    estimator, description, params = make_classifier(settings, [plain(c) for c in classes], n_jobs=available_cpus())
    print("Training %s on %d rows, %d features" % (description, len(X), len(features)))
    if fit_quietly(estimator, X, y):
        print('Note: the logistic regression did not fully converge; the model is usable, but a lower '
              '"Regularisation (C)" (e.g. 1) usually fixes this.')

    accuracy = float((estimator.predict(X) == y.to_numpy()).mean())
    print("Training accuracy %.4f (optimistic: measured on the rows the model learned from)" % accuracy)

    saved = {
        "model": estimator,
        "task": "classification",
        "features": features,
        "target": target,
        "classes": [plain(v) for v in estimator.classes_],
        "kind": settings["kind"],
        "params": dict(params, seed=settings["seed"]),
        "n_train": int(len(X)),
        "sklearn_version": sklearn.__version__,
    }
    write_atomically(args.output, lambda tmp: joblib.dump(saved, tmp))
    print("Wrote %s (%s)" % (args.output, MODEL_TITLES[settings["kind"]]))


if __name__ == "__main__":
    main()
