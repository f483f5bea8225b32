#!/usr/bin/env python3
"""Fluxo block "Evaluate regressor": measures a regression model's error on a held-out test table.

Writes MAE, RMSE and R² (JSON), a predicted-against-observed plot (PNG) and one prediction per
test row (CSV).
"""
import argparse
import json

import joblib  # noqa: F401  (load_model reads the model file with joblib)
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score  # noqa: E402

from fluxo_block import (  # noqa: E402
    MODEL_TITLES,
    fail,
    load_model,
    model_inputs,
    read_table,
    rounded,
    write_atomically,
    write_figure,
    write_text,
)


def draw(observed, predicted, metrics, title_model, target, path):
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.scatter(observed, predicted, s=14, alpha=0.7, color="#1f6fb2", edgecolors="none", label="Test rows")
    low = float(min(observed.min(), predicted.min()))
    high = float(max(observed.max(), predicted.max()))
    margin = (high - low) * 0.03 or 1.0
    ax.plot([low - margin, high + margin], [low - margin, high + margin], linestyle="--", color="grey", lw=1,
            label="Perfect prediction")
    ax.set_xlim(low - margin, high + margin)
    ax.set_ylim(low - margin, high + margin)
    ax.set_aspect("equal")
    ax.set_xlabel("Observed %s" % target)
    ax.set_ylabel("Predicted %s" % target)
    ax.set_title("%s: MAE %.3g, RMSE %.3g, R² %.3f" % (title_model, metrics["mae"], metrics["rmse"], metrics["r2"]),
                 fontsize="medium")
    ax.legend(loc="upper left", fontsize="small")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    write_figure(fig, path)


def main():
    parser = argparse.ArgumentParser(description="Evaluate a trained regression model on a test table.")
    parser.add_argument("--model", default="")
    parser.add_argument("--test", default="")
    parser.add_argument("--target-column", default="target")
    parser.add_argument("--metrics", required=True)
    parser.add_argument("--figure", required=True)
    parser.add_argument("--predictions", required=True)
    args = parser.parse_args()

    target = args.target_column.strip() or "target"
    saved = load_model(args.model, "regression")
    kind = saved["kind"]
    title_model = MODEL_TITLES.get(kind, kind)
    table = read_table(args.test, "test table")
    print("Loaded %d test rows, %d columns; model: %s with %d features"
          % (len(table), table.shape[1], title_model, len(saved["features"])))
    table, X, y = model_inputs(table, saved, target)
    if not pd.api.types.is_numeric_dtype(y):
        fail('"%s" in the test table holds text (for example "%s"), but the model predicts a number; check '
             '"Target column".' % (target, y.iloc[0]))
    if len(y) < 2:
        fail("the test table has %d row with an outcome; R² needs at least 2. Use a larger \"Test fraction\"." % len(y))

    observed = y.to_numpy(dtype=float)
    predicted = np.asarray(saved["model"].predict(X), dtype=float)
    r2 = r2_score(observed, predicted) if np.ptp(observed) > 0 else None
    metrics = {
        "mae": rounded(mean_absolute_error(observed, predicted)),
        "rmse": rounded(np.sqrt(mean_squared_error(observed, predicted))),
        "r2": rounded(r2),
        "n_test": int(len(observed)),
        "observed_mean": rounded(observed.mean()),
        "observed_sd": rounded(observed.std()),
        "model": kind,
        "target": target,
    }
    write_text(args.metrics, json.dumps(metrics, indent=2) + "\n")
    predictions = pd.DataFrame({"row": np.arange(len(observed)), "actual": observed,
                                "predicted": np.round(predicted, 6), "residual": np.round(observed - predicted, 6)})
    write_atomically(args.predictions, lambda tmp: predictions.to_csv(tmp, index=False))
    draw(observed, predicted, dict(metrics, r2=metrics["r2"] if r2 is not None else float("nan")), title_model, target,
         args.figure)
    print("MAE %.4f, RMSE %.4f, R² %s on %d test rows (the outcome's own standard deviation is %.4f)"
          % (metrics["mae"], metrics["rmse"], "%.4f" % metrics["r2"] if r2 is not None else "not available",
             metrics["n_test"], metrics["observed_sd"]))
    print("Wrote %s, %s, %s" % (args.metrics, args.figure, args.predictions))


if __name__ == "__main__":
    main()
