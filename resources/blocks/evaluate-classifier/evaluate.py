#!/usr/bin/env python3
"""Fluxo block "Evaluate classifier": scores a trained model on a held-out test table.

Writes metrics (JSON), a ROC curve and a confusion matrix (PNG), and one prediction per test row (CSV).
"""
import argparse
import json
import os

import joblib
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import sklearn  # noqa: E402
from sklearn.metrics import (  # noqa: E402
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)

from fluxo_block import fail, list_columns, plain, read_table, write_atomically, write_text  # noqa: E402

MODEL_NAMES = {"logistic_regression": "Logistic regression", "random_forest": "Random forest"}
DPI = 110
FIGSIZE = (5, 4)


def load_model(path):
    if not path:
        fail("no model is connected; connect the output of a Train classifier step.")
    if not os.path.isfile(path):
        fail('the model file "%s" does not exist; run the Train classifier step first.' % path)
    try:
        saved = joblib.load(path)
    except Exception as exc:  # a foreign or damaged file can fail in many ways; all mean the same to the user
        fail('"%s" is not a model saved by Train classifier (%s); connect the output of a Train classifier step.'
             % (path, type(exc).__name__))
    keys = ("model", "features", "target", "classes", "kind")
    if not isinstance(saved, dict) or any(k not in saved for k in keys):
        fail('"%s" is not a model saved by Train classifier; connect the output of a Train classifier step.' % path)
    trained_with = saved.get("sklearn_version")
    if trained_with and trained_with != sklearn.__version__:
        print("Note: the model was trained with scikit-learn %s and is evaluated with %s"
              % (trained_with, sklearn.__version__))
    return saved


def r4(value):
    return None if value is None else round(float(value), 4)


def save_figure(fig, path):
    def write(tmp):
        fig.savefig(tmp, format="png", dpi=DPI)

    write_atomically(path, write)
    plt.close(fig)


def draw_roc(y, proba, classes, positive, auc, title_model, path):
    fig, ax = plt.subplots(figsize=FIGSIZE)
    if positive is not None:
        fpr, tpr, _ = roc_curve(y == positive, proba[:, 1])
        ax.plot(fpr, tpr, color="#1f6fb2", lw=2, label="%s (AUC = %.3f)" % (title_model, auc))
        subtitle = "positive class: %s" % positive
    else:
        for k, cls in enumerate(classes):
            truth = y == cls
            if truth.all() or not truth.any():
                continue
            fpr, tpr, _ = roc_curve(truth, proba[:, k])
            ax.plot(fpr, tpr, lw=1.6, label="%s vs rest (AUC = %.3f)" % (cls, roc_auc_score(truth, proba[:, k])))
        subtitle = "one-vs-rest, macro AUC = %.3f" % auc
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", lw=1, label="Chance (AUC = 0.5)")
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_xlabel("False positive rate (1 - specificity)")
    ax.set_ylabel("True positive rate (sensitivity)")
    ax.set_title("ROC curve (%s)" % subtitle)
    ax.legend(loc="lower right", fontsize="small")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, path)


def draw_confusion(matrix, classes, target, path):
    fig, ax = plt.subplots(figsize=FIGSIZE)
    image = ax.imshow(matrix, cmap="Blues")
    fig.colorbar(image, ax=ax, label="Number of samples")
    labels = [str(c) for c in classes]
    ax.set_xticks(range(len(classes)))
    ax.set_yticks(range(len(classes)))
    ax.set_xticklabels(labels, rotation=45 if len(classes) > 4 else 0)
    ax.set_yticklabels(labels)
    threshold = matrix.max() / 2 if matrix.size else 0
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=12 if len(classes) <= 4 else 8,
                    color="white" if matrix[i, j] > threshold else "black")
    ax.set_xlabel("Predicted %s" % target)
    ax.set_ylabel("Actual %s" % target)
    ax.set_title("Confusion matrix (n = %d)" % int(matrix.sum()))
    fig.tight_layout()
    save_figure(fig, path)


def main():
    parser = argparse.ArgumentParser(description="Evaluate a trained classifier on a test table.")
    parser.add_argument("--model", default="")
    parser.add_argument("--test", default="")
    parser.add_argument("--target-column", default="target")
    parser.add_argument("--metrics", required=True)
    parser.add_argument("--roc-curve", required=True)
    parser.add_argument("--confusion-matrix", required=True)
    parser.add_argument("--predictions", required=True)
    args = parser.parse_args()

    target = args.target_column.strip() or "target"
    saved = load_model(args.model)
    model, features, kind = saved["model"], list(saved["features"]), saved["kind"]
    classes = [plain(c) for c in saved["classes"]]
    table = read_table(args.test, "test table")
    print("Loaded %d test rows, %d columns; model: %s with %d features"
          % (len(table), table.shape[1], MODEL_NAMES.get(kind, kind), len(features)))

    if target not in table.columns:
        fail('the test table has no column "%s"; its columns are %s. Set "Target column" to the column that holds '
             "the true outcome (the model was trained on \"%s\")." % (target, list_columns(table.columns), saved["target"]))
    missing = [f for f in features if f not in table.columns]
    if missing:
        fail("the test table lacks %d column(s) the model was trained on: %s. Evaluate on a table with the same "
             "columns as the training table (split both from one table)." % (len(missing), list_columns(missing)))
    dropped = int(table[target].isna().sum())
    if dropped:
        print('Dropped %d rows with no value in "%s"' % (dropped, target))
        table = table[table[target].notna()].reset_index(drop=True)
        if len(table) == 0:
            fail('every test row has an empty "%s"; there is nothing to evaluate.' % target)
    y = table[target]
    if y.dtype.kind == "f" and (y == y.round()).all():
        y = y.astype("int64")
    text = [f for f in features if not pd.api.types.is_numeric_dtype(table[f])]
    if text:
        fail("these test columns hold text, but the model needs numbers: %s." % list_columns(text))
    empty = [f for f in features if table[f].isna().any()]
    if empty:
        fail("these test columns have empty cells: %s. Fill in or remove incomplete rows first." % list_columns(empty))

    y = pd.Series([plain(v) for v in y], name=target)
    unknown = sorted({str(v) for v in y.unique()} - {str(c) for c in classes})
    if unknown:
        fail('the test table has values of "%s" the model never saw in training: %s (it knows %s). Check that the '
             "test table comes from the same data as the training table."
             % (target, ", ".join(unknown), ", ".join(str(c) for c in classes)))
    present = y.unique().tolist()
    if len(present) < 2:
        fail('every test row has the same "%s" (%s), so ROC AUC, precision and recall cannot be computed; '
             'use a larger "Test fraction" or turn "Stratify" on in the split.' % (target, present[0]))

    X = table[features]
    proba = model.predict_proba(X)
    predicted = np.asarray(model.predict(X))
    truth = y.to_numpy()

    binary = len(classes) == 2
    if binary:
        positive = classes[1]
        auc = roc_auc_score(truth == positive, proba[:, 1])
        averaging = {"average": "binary", "pos_label": positive}
        n_positive = int((truth == positive).sum())
    else:
        positive = None
        per_class = []
        for k, cls in enumerate(classes):
            is_cls = truth == cls
            if is_cls.any() and not is_cls.all():
                per_class.append(roc_auc_score(is_cls, proba[:, k]))
        auc = float(np.mean(per_class))
        averaging = {"average": "macro", "labels": classes}
        n_positive = None
    metrics = {
        "accuracy": r4(accuracy_score(truth, predicted)),
        "roc_auc": r4(auc),
        "precision": r4(precision_score(truth, predicted, zero_division=0, **averaging)),
        "recall": r4(recall_score(truth, predicted, zero_division=0, **averaging)),
        "f1": r4(f1_score(truth, predicted, zero_division=0, **averaging)),
        "n_test": int(len(truth)),
        "n_positive": n_positive,
        "model": kind,
        "target": target,
        "classes": classes,
        "positive_class": positive,
        "averaging": "binary" if binary else "macro (one-vs-rest)",
    }
    matrix = confusion_matrix(truth, predicted, labels=classes)

    write_text(args.metrics, json.dumps(metrics, indent=2) + "\n")
    predictions = pd.DataFrame({"row": np.arange(len(truth)), "actual": truth, "predicted": predicted})
    for k, cls in enumerate(classes):
        predictions["probability_%s" % cls] = np.round(proba[:, k], 6)
    write_atomically(args.predictions, lambda tmp: predictions.to_csv(tmp, index=False))
    draw_roc(truth, proba, classes, positive, auc, MODEL_NAMES.get(kind, kind), args.roc_curve)
    draw_confusion(matrix, classes, target, args.confusion_matrix)

    print("Accuracy %.4f, ROC AUC %.4f, precision %.4f, recall %.4f, F1 %.4f on %d test rows"
          % (metrics["accuracy"], metrics["roc_auc"], metrics["precision"], metrics["recall"], metrics["f1"],
             metrics["n_test"]))
    print("Wrote %s, %s, %s, %s" % (args.metrics, args.roc_curve, args.confusion_matrix, args.predictions))


if __name__ == "__main__":
    main()
