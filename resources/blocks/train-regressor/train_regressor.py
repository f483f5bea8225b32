#!/usr/bin/env python3
"""Fluxo block "Train regressor": fits a model that predicts a number and saves it with joblib.

Writes the model and its error on the training rows (metrics.json), which is optimistic by
nature: Evaluate regressor measures it honestly on held-out rows.
"""
import argparse
import json

import joblib
import numpy as np
import pandas as pd
import sklearn
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from fluxo_block import (
    MODEL_TITLES,
    available_cpus,
    check_features,
    fail,
    fit_quietly,
    parse_integer,
    parse_number,
    read_table,
    rounded,
    target_values,
    write_atomically,
    write_text,
)

MODELS = ("linear", "random_forest", "gradient_boosting")


def build(kind, alpha, trees, depth, rate, seed):
    if kind == "linear":
        # Scaling first makes the ridge penalty treat every measurement alike, whatever its unit.
        model = Pipeline([("scale", StandardScaler()), ("regress", Ridge(alpha=alpha))])
        return model, "linear regression (ridge, alpha = %g)" % alpha, {"alpha": alpha}
    if kind == "random_forest":
        model = RandomForestRegressor(n_estimators=trees, max_depth=depth or None, random_state=seed,
                                      n_jobs=max(1, min(available_cpus(), trees)))
        return (model, "random forest (%d trees, max depth %s)" % (trees, depth or "unlimited"),
                {"n_estimators": trees, "max_depth": depth})
    model = HistGradientBoostingRegressor(max_iter=trees, max_depth=depth or None, learning_rate=rate,
                                          early_stopping=False, random_state=seed)
    return (model, "gradient boosting (%d trees, learning rate %g, max depth %s)" % (trees, rate, depth or "unlimited"),
            {"n_estimators": trees, "max_depth": depth, "learning_rate": rate})


def main():
    parser = argparse.ArgumentParser(description="Train a regression model on a table.")
    parser.add_argument("--train", default="")
    parser.add_argument("--target-column", default="target")
    parser.add_argument("--model", default="linear")
    parser.add_argument("--alpha", default="1.0")
    parser.add_argument("--n-estimators", default="200")
    parser.add_argument("--max-depth", default="0")
    parser.add_argument("--learning-rate", default="0.1")
    parser.add_argument("--seed", default="42")
    parser.add_argument("--output", required=True)
    parser.add_argument("--metrics", required=True)
    args = parser.parse_args()

    target = args.target_column.strip() or "target"
    kind = args.model.strip() or "linear"
    if kind not in MODELS:
        fail('unknown model "%s"; choose one of: %s.' % (kind, ", ".join(MODELS)))
    alpha = parse_number(args.alpha, "Regularisation (alpha)", 1.0)
    trees = parse_integer(args.n_estimators, "Number of trees", 200)
    depth = parse_integer(args.max_depth, "Maximum tree depth", 0)
    rate = parse_number(args.learning_rate, "Learning rate", 0.1)
    seed = parse_integer(args.seed, "Random seed", 42)
    if kind == "linear" and alpha < 0:
        fail('"Regularisation (alpha)" must be 0 or more (it is %s); 1 is a good start.' % alpha)
    if kind != "linear" and trees < 1:
        fail('"Number of trees" must be at least 1 (it is %d); 200 is a good start.' % trees)
    if depth < 0:
        fail('"Maximum tree depth" must be 0 (no limit) or more (it is %d).' % depth)
    if kind == "gradient_boosting" and not 0 < rate <= 1:
        fail('"Learning rate" must be above 0 and at most 1 (it is %s); 0.1 is a good start.' % rate)
    if not 0 <= seed <= 2**32 - 1:
        fail('"Random seed" must be between 0 and 4294967295 (it is %d).' % seed)

    table = read_table(args.train, "training table")
    print("Loaded %d rows, %d columns" % (len(table), table.shape[1]))
    table, y = target_values(table, target, "training table")
    if not pd.api.types.is_numeric_dtype(y):
        fail('"%s" holds text (for example "%s"), but a regressor predicts a number. Choose a column of measurements, '
             "or use Train classifier for categories." % (target, y.iloc[0]))
    if y.nunique() < 2:
        fail('"%s" has the same value (%s) in every training row, so there is nothing to learn.' % (target, y.iloc[0]))
    if y.nunique() <= 2:
        print('Note: "%s" has only two values; if it is a yes/no outcome, Train classifier suits it better.' % target)
    features = [str(col) for col in table.columns if col != target]
    if not features:
        fail('the table has no columns besides "%s"; the model needs at least one feature column.' % target)
    check_features(table, features, "training table")
    X = table[features]
    y = y.astype("float64")

    model, description, params = build(kind, alpha, trees, depth, rate, seed)
    print("Training %s on %d rows, %d features" % (description, len(X), len(features)))
    fit_quietly(model, X, y)
    fitted = model.predict(X)
    metrics = {
        "train_mae": rounded(mean_absolute_error(y, fitted)),
        "train_rmse": rounded(np.sqrt(mean_squared_error(y, fitted))),
        "train_r2": rounded(r2_score(y, fitted)),
        "n_train": int(len(X)),
        "model": kind,
        "target": target,
        "params": dict(params, seed=seed),
        "measured_on": "training rows (optimistic; use Evaluate regressor on held-out rows)",
    }
    print("On the training rows (optimistic): MAE %.4f, RMSE %.4f, R² %.4f"
          % (metrics["train_mae"], metrics["train_rmse"], metrics["train_r2"]))

    saved = {
        "model": model,
        "task": "regression",
        "features": features,
        "target": target,
        "kind": kind,
        "params": dict(params, seed=seed),
        "n_train": int(len(X)),
        "sklearn_version": sklearn.__version__,
    }
    write_atomically(args.output, lambda tmp: joblib.dump(saved, tmp))
    write_text(args.metrics, json.dumps(metrics, indent=2) + "\n")
    print("Wrote %s (%s), %s" % (args.output, MODEL_TITLES[kind], args.metrics))


if __name__ == "__main__":
    main()
