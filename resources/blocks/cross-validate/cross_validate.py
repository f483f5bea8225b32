#!/usr/bin/env python3
"""Fluxo block "Cross-validate": stratified k-fold cross-validation of a classifier on one table.

Each fold is held out once while a fresh model (the same model Train classifier builds from the
same settings, via fluxo_block.make_classifier) learns from the other folds. Writes the metrics
of every fold (CSV), their mean and standard deviation (JSON) and a figure of the spread (PNG).
"""
import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402

from fluxo_block import (  # noqa: E402
    MODEL_TITLES,
    available_cpus,
    check_features,
    classification_scores,
    classifier_settings,
    fail,
    fit_quietly,
    make_classifier,
    parse_integer,
    plain,
    read_table,
    rounded,
    target_values,
    write_atomically,
    write_figure,
    write_text,
)

METRICS = ("accuracy", "roc_auc", "precision", "recall", "f1")
NAMES = {"accuracy": "Accuracy", "roc_auc": "ROC AUC", "precision": "Precision", "recall": "Recall", "f1": "F1"}


def draw(folds, summary, title, path):
    fig, ax = plt.subplots(figsize=(6, 4))
    rng = np.random.RandomState(0)  # a fixed jitter, so the same run draws the same figure
    for i, name in enumerate(METRICS):
        values = folds[name].dropna().to_numpy(dtype=float)
        if len(values):
            ax.scatter(i + rng.uniform(-0.12, 0.12, len(values)), values, s=18, color="#1f6fb2", alpha=0.7,
                       zorder=3, label="One fold" if i == 0 else None)
        mean, sd = summary.get(name), summary.get(name + "_sd")
        if mean is not None:
            ax.errorbar(i + 0.28, mean, yerr=sd or 0, fmt="D", color="#c0392b", capsize=4, zorder=4,
                        label="Mean ± sd" if i == 0 else None)
    ax.set_xticks(range(len(METRICS)))
    ax.set_xticklabels([NAMES[m] for m in METRICS])
    ax.set_ylim(min(0.5, float(np.nanmin(folds[list(METRICS)].to_numpy(dtype=float))) - 0.05), 1.02)
    ax.set_ylabel("Score on the held-out fold")
    ax.set_title(title, fontsize="medium")
    ax.legend(loc="lower right", fontsize="small")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    write_figure(fig, path)


def main():
    parser = argparse.ArgumentParser(description="Stratified k-fold cross-validation of a classifier.")
    parser.add_argument("--input", default="")
    parser.add_argument("--target-column", default="target")
    parser.add_argument("--model", default="logistic_regression")
    parser.add_argument("--c", default="1.0")
    parser.add_argument("--n-estimators", default="200")
    parser.add_argument("--max-depth", default="0")
    parser.add_argument("--learning-rate", default="0.1")
    parser.add_argument("--folds", default="5")
    parser.add_argument("--seed", default="42")
    parser.add_argument("--fold-table", required=True)
    parser.add_argument("--metrics", required=True)
    parser.add_argument("--figure", required=True)
    args = parser.parse_args()

    target = args.target_column.strip() or "target"
    settings = classifier_settings(args)
    k = parse_integer(args.folds, "Number of folds", 5)
    if not 2 <= k <= 50:
        fail('"Number of folds" must be between 2 and 50 (it is %d); 5 or 10 are usual.' % k)

    table = read_table(args.input, "input table")
    print("Loaded %d rows, %d columns" % (len(table), table.shape[1]))
    table, y = target_values(table, target, "input table")
    features = [str(col) for col in table.columns if col != target]
    if not features:
        fail('the table has no columns besides "%s"; the model needs at least one feature column.' % target)
    check_features(table, features, "input table")
    counts = y.value_counts()
    if len(counts) < 2:
        fail('"%s" has the same value (%s) in every row, so there is nothing to learn; check "Target column".'
             % (target, counts.index[0]))
    if len(counts) > 50:
        fail('"%s" has %d different values; a classifier needs categories (like 0/1), not measurements.'
             % (target, len(counts)))
    if counts.min() < k:
        fail('the class %s of "%s" has only %d rows, fewer than the %d folds: every fold needs at least one row of '
             'each class. Lower "Number of folds" to %d or less.' % (counts.idxmin(), target, counts.min(), k,
                                                                     max(2, int(counts.min()))))
    classes = sorted(plain(c) for c in counts.index)
    X = table[features]
    estimator, description, params = make_classifier(settings, classes, n_jobs=available_cpus())
    print("Cross-validating %s with %d stratified folds on %d rows, %d features" % (description, k, len(X), len(features)))

    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=settings["seed"])
    rows = []
    unconverged = 0
    for fold, (train_idx, test_idx) in enumerate(splitter.split(X, y), start=1):
        model = clone(estimator)
        unconverged += fit_quietly(model, X.iloc[train_idx], y.iloc[train_idx])
        truth = np.asarray([plain(v) for v in y.iloc[test_idx]])
        proba = model.predict_proba(X.iloc[test_idx])
        predicted = np.asarray(model.predict(X.iloc[test_idx]))
        fold_classes = [plain(c) for c in model.classes_]
        scores = classification_scores(truth, predicted, proba, fold_classes)
        n_positive = int((truth == fold_classes[1]).sum()) if len(fold_classes) == 2 else None
        rows.append(dict(fold=fold, n_train=len(train_idx), n_test=len(test_idx), n_positive=n_positive, **scores))
        print("  fold %d: %d train rows, %d test rows, accuracy %.4f, ROC AUC %s"
              % (fold, len(train_idx), len(test_idx), scores["accuracy"],
                 "%.4f" % scores["roc_auc"] if scores["roc_auc"] is not None else "not available"))
    if unconverged:
        print('Note: the logistic regression did not fully converge in %d fold(s); a lower "Regularisation (C)" '
              "usually fixes this." % unconverged)

    folds = pd.DataFrame(rows, columns=["fold", "n_train", "n_test", "n_positive"] + list(METRICS))
    summary = {}
    for name in METRICS:
        values = folds[name].dropna().to_numpy(dtype=float)
        summary[name] = rounded(values.mean()) if len(values) else None
        # Sample standard deviation (n - 1): the folds are a sample of the splits the data allows.
        summary[name + "_sd"] = rounded(values.std(ddof=1)) if len(values) > 1 else None
    metrics = dict(summary)
    metrics.update({
        "folds": k,
        "n_rows": int(len(X)),
        "model": settings["kind"],
        "target": target,
        "classes": classes,
        "params": dict(params, seed=settings["seed"]),
        "summary": {NAMES[m]: "%.4f ± %.4f" % (summary[m], summary[m + "_sd"] or 0.0)
                    for m in METRICS if summary[m] is not None},
    })
    write_atomically(args.fold_table, lambda tmp: folds.to_csv(tmp, index=False))
    write_text(args.metrics, json.dumps(metrics, indent=2, ensure_ascii=False) + "\n")
    title = "%s, %d-fold cross-validation (n = %d)" % (MODEL_TITLES[settings["kind"]], k, len(X))
    draw(folds, summary, title, args.figure)
    for name in METRICS:
        if summary[name] is not None:
            print("%s %s" % (NAMES[name], metrics["summary"][NAMES[name]]))
    print("Wrote %s, %s, %s" % (args.fold_table, args.metrics, args.figure))


if __name__ == "__main__":
    main()
