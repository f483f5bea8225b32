#!/usr/bin/env python3
"""Fluxo block "Compare sweep": one table, one figure and the best point of a parameter sweep.

Receives one metrics.json per sweep point (fan-in: each path its own argument, in task order).
Each array task of a sweep writes fluxo-task.json ({"task": i, "params": {...}}) into its task
folder; the settings of a point are read from the one found in the metrics file's folder or its
parents, up to the step folder (the folder inside "steps").
"""
import argparse
import json
import math
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from fluxo_block import fail, list_columns, rounded, write_atomically, write_figure, write_text  # noqa: E402

TASK_FILE = "fluxo-task.json"
#: Folders searched for fluxo-task.json: the metrics file's own and at most this many parents.
MAX_PARENTS = 3
#: Metrics where a smaller value is better (errors, losses, spreads); "auto" sorts them lowest first.
LOWER_IS_BETTER = ("mae", "rmse", "mse", "brier", "log_loss", "loss", "error")


def read_json(path, what, fix):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as exc:
        fail('cannot read the %s "%s" (%s); %s' % (what, path, exc.strerror or exc, fix))
    except ValueError as exc:
        fail('the %s "%s" is not valid JSON (%s); %s' % (what, path, exc, fix))


def find_task(path):
    """(task file path, its content) for a metrics file, or (None, None) when it is not part of a sweep."""
    folder = os.path.dirname(os.path.abspath(path))
    for _ in range(MAX_PARENTS + 1):
        candidate = os.path.join(folder, TASK_FILE)
        if os.path.isfile(candidate):
            task = read_json(candidate, "sweep task file", "it is written by Fluxo for every task of a sweep; run the "
                             "sweep again.")
            if not (isinstance(task, dict) and isinstance(task.get("task"), int) and isinstance(task.get("params"), dict)):
                fail('the sweep task file "%s" does not hold {"task": N, "params": {...}}; run the sweep again.' % candidate)
            return candidate, task
        parent = os.path.dirname(folder)
        # The step folder is the one inside "steps": a task folder never lies above it.
        if parent == folder or os.path.basename(parent) == "steps":
            break
        folder = parent
    return None, None


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def label_of(params):
    return ", ".join("%s = %s" % (k, v) for k, v in params.items()) or "(no settings)"


def lower_is_better(metric):
    name = metric.lower()
    return name.endswith("_sd") or any(name == word or name.endswith("_" + word) or name.startswith(word + "_")
                                       for word in LOWER_IS_BETTER)


def draw(points, metric, best, lowest, path):
    fig, ax = plt.subplots(figsize=(max(5.0, 0.55 * len(points) + 2.5), 4.2))
    xs = list(range(len(points)))
    values = [p["metrics"].get(metric) for p in points]
    spreads = [p["metrics"].get(metric + "_sd") for p in points]
    colours = ["#c0392b" if p is best else "#1f6fb2" for p in points]
    heights = [v if v is not None else 0 for v in values]
    errors = [s if s is not None else 0 for s in spreads] if any(s is not None for s in spreads) else None
    ax.bar(xs, heights, color=colours, yerr=errors, capsize=3 if errors else 0)
    for x, v in zip(xs, values):
        ax.annotate("%.4g" % v if v is not None else "no value", (x, v if v is not None else 0), ha="center",
                    va="bottom", fontsize="x-small", xytext=(0, 2), textcoords="offset points")
    ax.set_xticks(xs)
    ax.set_xticklabels([p["label"].replace(", ", "\n") for p in points], fontsize="small",
                       rotation=45 if len(points) > 8 else 0, ha="right" if len(points) > 8 else "center")
    present = [v for v in values if v is not None]
    if present and min(present) >= 0 and max(present) <= 1 and not lowest:
        low = min(present)
        ax.set_ylim(max(0.0, low - (1 - low) - 0.05), 1.0)  # zoom in on scores close to 1
    ax.set_ylabel(metric + (" (lower is better)" if lowest else " (higher is better)"))
    ax.set_title("%s for each sweep point; best: %s" % (metric, best["label"]), fontsize="medium")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    write_figure(fig, path)


def main():
    parser = argparse.ArgumentParser(description="Compare the metrics of the points of a sweep.")
    parser.add_argument("--metrics", nargs="+", default=[])
    parser.add_argument("--metric", default="roc_auc")
    parser.add_argument("--order", default="auto")
    parser.add_argument("--table", required=True)
    parser.add_argument("--figure", required=True)
    parser.add_argument("--best", required=True)
    args = parser.parse_args()

    metric = args.metric.strip() or "roc_auc"
    order = args.order.strip() or "auto"
    if order not in ("auto", "highest", "lowest"):
        fail('unknown "Best is" value "%s"; choose auto, highest or lowest.' % order)
    paths = [p for p in args.metrics if p]
    if not paths:
        fail("no metrics are connected; connect the metrics output of a step that runs a sweep.")

    points = []
    for position, path in enumerate(paths):
        if not os.path.isfile(path):
            fail('the metrics file "%s" does not exist; run the sweep step that produces it first.' % path)
        content = read_json(path, "metrics file", "connect a metrics output.")
        if not isinstance(content, dict):
            fail('the metrics file "%s" does not hold named metrics; connect a metrics output.' % path)
        task_file, task = find_task(path)
        params = task["params"] if task else {}
        points.append({
            "task": task["task"] if task else position,
            "params": params,
            "label": label_of(params) if task else "point %d" % position,
            "metrics": {k: v for k, v in content.items() if is_number(v)},
            "file": path,
            "swept": task_file is not None,
        })
    unlabelled = [p for p in points if not p["swept"]]
    if unlabelled:
        print("Note: %d of %d metrics files have no %s beside them (not from a sweep task); they are numbered by "
              "position instead." % (len(unlabelled), len(points), TASK_FILE))

    available = []
    for p in points:
        available += [k for k in p["metrics"] if k not in available]
    if metric not in available:
        fail('no metrics file has the metric "%s"; the metrics are %s. Set "Metric to compare" to one of them.'
             % (metric, list_columns(available) or "none"))
    lowest = order == "lowest" or (order == "auto" and lower_is_better(metric))
    ranked = sorted(points, key=lambda p: (p["metrics"].get(metric) is None,
                                           (1 if lowest else -1) * (p["metrics"].get(metric) or 0), p["task"]))
    best = ranked[0]

    param_names = []
    for p in points:
        param_names += [k for k in p["params"] if k not in param_names]
    columns = {}
    for rank, p in enumerate(ranked, start=1):
        row = {"rank": rank, "task": p["task"]}
        for name in param_names:
            row[name if name not in available else "param " + name] = p["params"].get(name)
        for name in available:
            row[name] = p["metrics"].get(name)
        row["metrics_file"] = p["file"]
        for key, value in row.items():
            columns.setdefault(key, []).append(value)
    table = pd.DataFrame(columns)
    write_atomically(args.table, lambda tmp: table.to_csv(tmp, index=False))
    draw(sorted(points, key=lambda p: p["task"]), metric, best, lowest, args.figure)

    summary = dict(best["metrics"])
    summary.update({
        "sort_metric": metric,
        "order": "lowest" if lowest else "highest",
        "n_points": len(points),
        "best_task": best["task"],
        "best_params": best["params"],
        "best_label": best["label"],
        "best_value": rounded(best["metrics"][metric], 6),
        "points": [{"task": p["task"], "params": p["params"], metric: p["metrics"].get(metric)} for p in ranked],
    })
    write_text(args.best, json.dumps(summary, indent=2) + "\n")

    print("Compared %d sweep points by %s (%s is better)" % (len(points), metric, "lower" if lowest else "higher"))
    for p in ranked:
        value = p["metrics"].get(metric)
        print("  %s%s: %s" % ("* " if p is best else "  ", p["label"], "%.4f" % value if value is not None else "no value"))
    print("Best: %s with %s = %.4f" % (best["label"], metric, best["metrics"][metric]))
    print("Wrote %s, %s, %s" % (args.table, args.figure, args.best))


if __name__ == "__main__":
    main()
