#!/usr/bin/env python3
"""Fluxo block "Evaluate classifier": scores a trained model on a held-out test table.

Writes metrics (JSON, with the subgroup results), ROC, precision-recall and calibration curves and
a confusion matrix (PNG), the metrics per subgroup (CSV) and one prediction per test row (CSV). The
points of the three curves also go to curves.json beside the metrics, so Fluxo draws them itself
(readable, zoomable, with a text summary) instead of showing only the pictures.
"""
import argparse
import json
import os

import joblib  # noqa: F401  (load_model reads the model file with joblib)
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.calibration import calibration_curve  # noqa: E402
from sklearn.metrics import average_precision_score, brier_score_loss, confusion_matrix  # noqa: E402
from sklearn.metrics import precision_recall_curve, roc_auc_score, roc_curve  # noqa: E402

from fluxo_block import (  # noqa: E402
    MODEL_TITLES,
    classification_scores,
    fail,
    list_columns,
    load_model,
    model_inputs,
    plain,
    read_table,
    rounded,
    write_atomically,
    write_figure,
    write_text,
)

FIGSIZE = (5, 4)
#: A numeric subgroup column with more distinct values than this is cut into four equal-sized bands.
MAX_EXACT_GROUPS = 10
#: More groups than this cannot be told apart in a table or a report.
MAX_GROUPS = 20
SMALL_GROUP = 10
#: Points kept per curve in curves.json: enough to draw it exactly at any window size.
MAX_CURVE_POINTS = 400
SUBGROUP_HEADER = ["column", "group", "n", "n_positive", "accuracy", "roc_auc", "precision", "recall", "f1"]


def one_vs_rest(truth, classes, positive):
    """(label, truth mask, column of proba) per curve: the positive class alone, or each class against the rest."""
    if positive is not None:
        return [(str(positive), truth == positive, 1)]
    return [(str(c), truth == c, k) for k, c in enumerate(classes) if (truth == c).any() and not (truth == c).all()]


def draw_roc(truth, proba, classes, positive, auc, title_model, path):
    fig, ax = plt.subplots(figsize=FIGSIZE)
    for label, mask, k in one_vs_rest(truth, classes, positive):
        fpr, tpr, _ = roc_curve(mask, proba[:, k])
        if positive is not None:
            ax.plot(fpr, tpr, color="#1f6fb2", lw=2, label="%s (AUC = %.3f)" % (title_model, auc))
        else:
            ax.plot(fpr, tpr, lw=1.6, label="%s vs rest (AUC = %.3f)" % (label, roc_auc_score(mask, proba[:, k])))
    subtitle = "positive class: %s" % positive if positive is not None else "one-vs-rest, macro AUC = %.3f" % auc
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", lw=1, label="Chance (AUC = 0.5)")
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_xlabel("False positive rate (1 - specificity)")
    ax.set_ylabel("True positive rate (sensitivity)")
    ax.set_title("ROC curve (%s)" % subtitle)
    ax.legend(loc="lower right", fontsize="small")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    write_figure(fig, path)


def draw_pr(truth, proba, classes, positive, title_model, path):
    fig, ax = plt.subplots(figsize=FIGSIZE)
    for label, mask, k in one_vs_rest(truth, classes, positive):
        precision, recall, _ = precision_recall_curve(mask, proba[:, k])
        ap = average_precision_score(mask, proba[:, k])
        name = title_model if positive is not None else "%s vs rest" % label
        ax.step(recall, precision, where="post", lw=2 if positive is not None else 1.6,
                label="%s (AP = %.3f)" % (name, ap))
        if positive is not None:
            # Precision of a model that guesses: the share of positives. The curve should stay above it.
            ax.axhline(mask.mean(), linestyle="--", color="grey", lw=1, label="Chance (%.2f positive)" % mask.mean())
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_xlabel("Recall (sensitivity)")
    ax.set_ylabel("Precision (positive predictive value)")
    ax.set_title("Precision-recall curve" + (" (positive class: %s)" % positive if positive is not None else ""))
    ax.legend(loc="lower left", fontsize="small")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    write_figure(fig, path)


def draw_calibration(truth, proba, classes, positive, brier, title_model, path):
    fig, ax = plt.subplots(figsize=FIGSIZE)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", lw=1, label="Perfectly calibrated")
    for label, mask, k in one_vs_rest(truth, classes, positive):
        observed, predicted = calibration_curve(mask, proba[:, k], n_bins=10, strategy="uniform")
        name = "%s (Brier score %.3f)" % (title_model, brier) if positive is not None else "class %s vs rest" % label
        ax.plot(predicted, observed, marker="o", lw=1.6, label=name)
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_xlabel("Predicted probability (mean per bin of 0.1)")
    ax.set_ylabel("Observed share of the class")
    ax.set_title("Calibration (n = %d)" % len(truth))
    ax.legend(loc="upper left", fontsize="small")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    write_figure(fig, path)


def thinned(xs, ys):
    """At most MAX_CURVE_POINTS evenly spaced points of a curve, its first and last always kept."""
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    if len(xs) > MAX_CURVE_POINTS:
        keep = np.unique(np.linspace(0, len(xs) - 1, MAX_CURVE_POINTS).round().astype(int))
        xs, ys = xs[keep], ys[keep]
    return [round(float(v), 6) for v in xs], [round(float(v), 6) for v in ys]


def curve_data(truth, proba, classes, positive, auc, brier):
    """The points of the ROC, precision-recall and calibration curves, one series per curve drawn."""
    roc, pr, calibration = [], [], []
    for label, mask, k in one_vs_rest(truth, classes, positive):
        fpr, tpr, _ = roc_curve(mask, proba[:, k])
        x, y = thinned(fpr, tpr)
        roc.append({"label": label, "auc": rounded(auc if positive is not None else roc_auc_score(mask, proba[:, k])),
                    "x": x, "y": y})
        precision, recall, _ = precision_recall_curve(mask, proba[:, k])
        # sklearn returns recall from 1 down to 0; drawn from left to right it reads better ascending.
        x, y = thinned(recall[::-1], precision[::-1])
        pr.append({"label": label, "average_precision": rounded(average_precision_score(mask, proba[:, k])),
                   "chance": rounded(float(mask.mean())), "x": x, "y": y})
        observed, predicted = calibration_curve(mask, proba[:, k], n_bins=10, strategy="uniform")
        x, y = thinned(predicted, observed)
        calibration.append({"label": label, "brier": rounded(brier if positive is not None
                                                            else brier_score_loss(mask, proba[:, k])),
                            "x": x, "y": y})
    return {"positive_class": positive, "n_test": int(len(truth)), "roc": roc, "pr": pr, "calibration": calibration}


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
    write_figure(fig, path)


def group_labels(values, column):
    """One label per row: the value itself, or for a measurement with many values its quartile band."""
    present = values.dropna()
    if pd.api.types.is_numeric_dtype(values) and present.nunique() > MAX_EXACT_GROUPS:
        bands, edges = pd.qcut(values, 4, retbins=True, duplicates="drop")
        order = ["%.4g to %.4g" % (low, high) for low, high in zip(edges[:-1], edges[1:])]
        labels = bands.cat.rename_categories(order).astype(str).where(values.notna(), "(empty)")
        print('"%s" has %d different values; grouped into %d bands of about equal size: %s (each band includes '
              "its upper limit)" % (column, present.nunique(), len(order), ", ".join(order)))
        return labels, order
    if pd.api.types.is_numeric_dtype(values):
        order = [str(plain(v)) for v in sorted(present.unique())]
        labels = pd.Series([str(plain(v)) if v == v else "(empty)" for v in values], index=values.index)
    else:
        labels = values.astype(str).where(values.notna(), "(empty)")
        order = sorted(labels[values.notna()].unique())
    if len(order) > MAX_GROUPS:
        fail('"Subgroup column" "%s" has %d different values; choose a column with a few groups (like sex or '
             "site), or group its values first." % (column, len(order)))
    return labels, order


def subgroup_rows(column, labels, order, truth, predicted, proba, classes, positive):
    rows = []
    groups = [("", "all", np.ones(len(truth), dtype=bool))]
    if column:
        groups += [(column, g, (labels == g).to_numpy()) for g in order + ["(empty)"]]
    for name, group, mask in groups:
        if not mask.any():
            continue
        scores = classification_scores(truth[mask], predicted[mask], proba[mask], classes)
        rows.append(dict(column=name, group=group, n=int(mask.sum()),
                         n_positive=int((truth[mask] == positive).sum()) if positive is not None else None, **scores))
        if name and mask.sum() < SMALL_GROUP:
            print('Note: the subgroup %s = %s has only %d test rows; its metrics are very uncertain.'
                  % (column, group, int(mask.sum())))
    return rows


def main():
    parser = argparse.ArgumentParser(description="Evaluate a trained classifier on a test table.")
    parser.add_argument("--model", default="")
    parser.add_argument("--test", default="")
    parser.add_argument("--target-column", default="target")
    parser.add_argument("--subgroup-column", default="")
    parser.add_argument("--metrics", required=True)
    parser.add_argument("--roc-curve", required=True)
    parser.add_argument("--confusion-matrix", required=True)
    parser.add_argument("--predictions", required=True)
    parser.add_argument("--pr-curve", required=True)
    parser.add_argument("--calibration", required=True)
    parser.add_argument("--subgroups", required=True)
    args = parser.parse_args()

    target = args.target_column.strip() or "target"
    subgroup = args.subgroup_column.strip()
    saved = load_model(args.model, "classification")
    model, kind = saved["model"], saved["kind"]
    classes = [plain(c) for c in saved["classes"]]
    title_model = MODEL_TITLES.get(kind, kind)
    table = read_table(args.test, "test table")
    print("Loaded %d test rows, %d columns; model: %s with %d features"
          % (len(table), table.shape[1], title_model, len(saved["features"])))
    if subgroup and subgroup not in table.columns:
        fail('the test table has no column "%s" to group by; its columns are %s. Set "Subgroup column" to one of them, '
             "or leave it empty." % (subgroup, list_columns(table.columns)))
    if subgroup and subgroup == target:
        fail('"Subgroup column" is the outcome column "%s"; choose a column that describes the patients (like sex '
             "or site), or leave it empty." % target)
    table, X, y = model_inputs(table, saved, target)

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

    proba = model.predict_proba(X)
    predicted = np.asarray(model.predict(X))
    truth = y.to_numpy()

    binary = len(classes) == 2
    positive = classes[1] if binary else None
    scores = classification_scores(truth, predicted, proba, classes)
    labels, order = group_labels(table[subgroup], subgroup) if subgroup else (None, [])
    groups = subgroup_rows(subgroup, labels, order, truth, predicted, proba, classes, positive)
    matrix = confusion_matrix(truth, predicted, labels=classes)
    if binary:
        average_precision = average_precision_score(truth == positive, proba[:, 1])
        brier = brier_score_loss(truth == positive, proba[:, 1])
    else:
        average_precision = np.mean([average_precision_score(mask, proba[:, k])
                                     for _, mask, k in one_vs_rest(truth, classes, None)])
        brier = None

    metrics = dict(scores)
    metrics.update({
        "average_precision": rounded(average_precision),
        "brier": rounded(brier),
        "n_test": int(len(truth)),
        "n_positive": int((truth == positive).sum()) if binary else None,
        "model": kind,
        "target": target,
        "classes": classes,
        "positive_class": positive,
        "averaging": "binary" if binary else "macro (one-vs-rest)",
        "confusion_matrix": {"labels": classes, "counts": matrix.tolist()},
        "subgroups": {"column": subgroup or None,
                      "groups": [{k: v for k, v in r.items() if k != "column"} for r in groups if r["column"]]},
    })

    write_text(args.metrics, json.dumps(metrics, indent=2) + "\n")
    curves_path = os.path.join(os.path.dirname(os.path.abspath(args.metrics)), "curves.json")
    write_text(curves_path, json.dumps(curve_data(truth, proba, classes, positive, scores["roc_auc"], brier)) + "\n")
    predictions = pd.DataFrame({"row": np.arange(len(truth)), "actual": truth, "predicted": predicted})
    for k, cls in enumerate(classes):
        predictions["probability_%s" % cls] = np.round(proba[:, k], 6)
    write_atomically(args.predictions, lambda tmp: predictions.to_csv(tmp, index=False))
    subgroup_table = pd.DataFrame(groups, columns=SUBGROUP_HEADER)
    write_atomically(args.subgroups, lambda tmp: subgroup_table.to_csv(tmp, index=False))
    draw_roc(truth, proba, classes, positive, scores["roc_auc"], title_model, args.roc_curve)
    draw_pr(truth, proba, classes, positive, title_model, args.pr_curve)
    draw_calibration(truth, proba, classes, positive, brier, title_model, args.calibration)
    draw_confusion(matrix, classes, target, args.confusion_matrix)

    print("Accuracy %.4f, ROC AUC %.4f, precision %.4f, recall %.4f, F1 %.4f on %d test rows"
          % (metrics["accuracy"], metrics["roc_auc"], metrics["precision"], metrics["recall"], metrics["f1"],
             metrics["n_test"]))
    for row in groups[1:]:
        print("  %s = %s: %d rows, accuracy %.4f, ROC AUC %s" % (row["column"], row["group"], row["n"], row["accuracy"],
              "%.4f" % row["roc_auc"] if row["roc_auc"] is not None else "not available (one class only)"))
    print("Wrote %s, %s, %s, %s, %s, %s, %s" % (args.metrics, args.roc_curve, args.pr_curve, args.calibration,
                                                args.confusion_matrix, args.subgroups, args.predictions))


if __name__ == "__main__":
    main()
