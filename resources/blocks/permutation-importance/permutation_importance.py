#!/usr/bin/env python3
"""Fluxo block "Permutation importance": which columns a trained model relies on, measured on test rows.

Each feature column of the test table is shuffled in turn (breaking its link to the outcome) and
the drop of the model's score is recorded, with scikit-learn's permutation_importance. Works for
models from Train classifier and Train regressor alike.
"""
import argparse

import joblib  # noqa: F401  (load_model reads the model file with joblib)
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.inspection import permutation_importance  # noqa: E402

from fluxo_block import (  # noqa: E402
    MODEL_TITLES,
    fail,
    load_model,
    model_inputs,
    parse_integer,
    plain,
    read_table,
    write_atomically,
    write_figure,
)

#: The score whose drop is measured: ROC AUC for yes/no outcomes, accuracy for several classes, R² for numbers.
SCORES = {"roc_auc": "ROC AUC", "accuracy": "accuracy", "r2": "R²"}


def draw(table, shown, score_name, title_model, path):
    top = table.head(shown).iloc[::-1]  # largest at the top
    fig, ax = plt.subplots(figsize=(6.5, max(2.5, 0.32 * len(top) + 1.2)))
    colours = ["#1f6fb2" if v > 0 else "#999999" for v in top["importance_mean"]]
    ax.barh(top["feature"], top["importance_mean"], xerr=top["importance_sd"], color=colours,
            error_kw={"elinewidth": 1, "capsize": 2})
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("Drop in %s when the column is shuffled" % score_name)
    ax.set_title("Permutation importance: %s%s" % (title_model, "" if len(table) <= shown else
                                                   " (top %d of %d)" % (shown, len(table))), fontsize="medium")
    ax.tick_params(axis="y", labelsize="small")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    write_figure(fig, path)


def main():
    parser = argparse.ArgumentParser(description="Permutation feature importance of a model on a test table.")
    parser.add_argument("--model", default="")
    parser.add_argument("--test", default="")
    parser.add_argument("--target-column", default="target")
    parser.add_argument("--repeats", default="10")
    parser.add_argument("--top", default="20")
    parser.add_argument("--seed", default="42")
    parser.add_argument("--table", required=True)
    parser.add_argument("--figure", required=True)
    args = parser.parse_args()

    target = args.target_column.strip() or "target"
    repeats = parse_integer(args.repeats, "Repeats", 10)
    top = parse_integer(args.top, "Columns in the figure", 20)
    seed = parse_integer(args.seed, "Random seed", 42)
    if not 1 <= repeats <= 1000:
        fail('"Repeats" must be between 1 and 1000 (it is %d); 10 is a good start.' % repeats)
    if top < 1:
        fail('"Columns in the figure" must be at least 1 (it is %d).' % top)
    if not 0 <= seed <= 2**32 - 1:
        fail('"Random seed" must be between 0 and 4294967295 (it is %d).' % seed)

    saved = load_model(args.model, None)
    kind, task = saved["kind"], saved["task"]
    title_model = MODEL_TITLES.get(kind, kind)
    table = read_table(args.test, "test table")
    print("Loaded %d test rows, %d columns; model: %s with %d features"
          % (len(table), table.shape[1], title_model, len(saved["features"])))
    table, X, y = model_inputs(table, saved, target)
    if task == "regression":
        if not pd.api.types.is_numeric_dtype(y):
            fail('"%s" in the test table holds text, but the model predicts a number; check "Target column".' % target)
        scoring = "r2"
    else:
        y = pd.Series([plain(v) for v in y], name=target)
        unknown = sorted({str(v) for v in y.unique()} - {str(c) for c in saved["classes"]})
        if unknown:
            fail('the test table has values of "%s" the model never saw in training: %s. Check that the test table '
                 "comes from the same data as the training table." % (target, ", ".join(unknown)))
        if y.nunique() < 2:
            fail('every test row has the same "%s" (%s), so the model\'s score cannot be measured; use a larger '
                 '"Test fraction" or turn "Stratify" on in the split.' % (target, y.iloc[0]))
        scoring = "roc_auc" if len(saved["classes"]) == 2 else "accuracy"

    print("Shuffling each of %d columns %d times and measuring the drop in %s" % (X.shape[1], repeats, SCORES[scoring]))
    # One process: starting worker processes costs more than it saves on tables of this size, and
    # forests and boosting already predict on several cores themselves.
    result = permutation_importance(saved["model"], X, y, scoring=scoring, n_repeats=repeats, random_state=seed,
                                    n_jobs=1)
    importance = pd.DataFrame({
        "feature": list(X.columns),
        "importance_mean": np.round(result.importances_mean, 6),
        "importance_sd": np.round(result.importances_std, 6),
    })
    importance = importance.sort_values(["importance_mean", "feature"], ascending=[False, True], kind="mergesort")
    importance.insert(0, "rank", np.arange(1, len(importance) + 1))
    importance["score"] = scoring
    write_atomically(args.table, lambda tmp: importance.to_csv(tmp, index=False))
    draw(importance, top, SCORES[scoring], title_model, args.figure)

    for _, row in importance.head(5).iterrows():
        print("  %d. %s: %.4f ± %.4f" % (row["rank"], row["feature"], row["importance_mean"], row["importance_sd"]))
    unused = int((importance["importance_mean"] <= 0).sum())
    if unused:
        print("%d column(s) did not lower the score when shuffled: the model does not rely on them on these rows."
              % unused)
    print("Wrote %s, %s" % (args.table, args.figure))


if __name__ == "__main__":
    main()
