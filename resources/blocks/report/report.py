#!/usr/bin/env python3
"""Fluxo block "Report": one self-contained HTML page with the metrics and figures of an evaluation.

The page has no scripts and no links to the internet: figures are embedded as data: URIs, so it can be
mailed or archived as one file. Only the Python standard library is used.
"""
import argparse
import base64
import datetime
import html
import json
import os

from fluxo_block import fail, write_text

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# (key, name shown, plain-language explanation). Other numeric keys are listed after these.
METRICS = [
    ("accuracy", "Accuracy",
     "Share of test samples the model classified correctly (1 = all of them). Compare it with the share of the "
     "most common class: always guessing that class already scores that much."),
    ("roc_auc", "ROC AUC",
     "How well the model ranks positives above negatives; 0.5 is chance, 1 is perfect. It does not depend on "
     "where the yes/no cut-off is put."),
    ("precision", "Precision",
     "Of the samples the model called positive, the share that really are positive. High precision means few "
     "false alarms."),
    ("recall", "Recall (sensitivity)",
     "Of the samples that really are positive, the share the model found. High recall means few missed cases."),
    ("f1", "F1 score",
     "One number that balances precision and recall (their harmonic mean); 1 is perfect, 0 is useless."),
    ("n_test", "Test samples",
     "Number of held-out samples the metrics were computed on. The model never saw them during training; "
     "with few samples the metrics are less certain."),
    ("n_positive", "Positive test samples",
     "How many of the test samples belong to the positive class."),
]
DETAILS = {"model", "target", "classes", "positive_class", "averaging"}
MODEL_NAMES = {"logistic_regression": "Logistic regression", "random_forest": "Random forest"}

CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1d2733;
       max-width: 60rem; margin: 2rem auto; padding: 0 1.5rem; line-height: 1.5; }
h1 { font-size: 1.7rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #d5dbe3; padding-bottom: 0.2rem; }
.meta { color: #5b6776; margin-top: 0; }
table { border-collapse: collapse; width: 100%; margin: 0.8rem 0; }
th, td { text-align: left; vertical-align: top; padding: 0.45rem 0.7rem; border-bottom: 1px solid #e3e8ee; }
th { background: #f3f6f9; font-weight: 600; }
td.value { font-variant-numeric: tabular-nums; font-weight: 600; white-space: nowrap; }
td.explain { color: #3d4957; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.3rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; }
.figures { display: flex; flex-wrap: wrap; gap: 1.5rem; }
figure { margin: 0; flex: 1 1 22rem; }
figure img { width: 100%; max-width: 34rem; height: auto; border: 1px solid #e3e8ee; }
figcaption { color: #3d4957; font-size: 0.92rem; margin-top: 0.4rem; }
.note { background: #fff8e1; border-left: 4px solid #f0b400; padding: 0.5rem 0.8rem; }
footer { margin-top: 2.5rem; color: #7a8594; font-size: 0.85rem; }
"""


def esc(value):
    return html.escape(str(value), quote=True)


def load_metrics(path):
    if not path:
        fail("no metrics are connected; connect the metrics output of an Evaluate classifier step.")
    if not os.path.isfile(path):
        fail('the metrics file "%s" does not exist; run the Evaluate classifier step first.' % path)
    try:
        with open(path, "r", encoding="utf-8") as handle:
            metrics = json.load(handle)
    except (ValueError, UnicodeDecodeError) as exc:
        fail('"%s" is not a readable metrics file (%s); connect the metrics output of an Evaluate classifier step.'
             % (path, exc))
    if not isinstance(metrics, dict):
        fail('"%s" does not hold a set of named metrics; connect the metrics output of an Evaluate classifier step.'
             % path)
    return metrics


def load_png(path, what):
    """Returns the figure as a data: URI, or None when the optional input is not connected."""
    if not path:
        return None
    if not os.path.isfile(path):
        fail('the %s "%s" does not exist; run the step that draws it first, or disconnect it.' % (what, path))
    with open(path, "rb") as handle:
        data = handle.read()
    if not data.startswith(PNG_SIGNATURE):
        fail('the %s "%s" is not a PNG image; connect a figure (PNG) output.' % (what, path))
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def format_value(value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return "%.4f" % value
    if value is None:
        return "not available"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def generated_at():
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()  # reproducible builds convention
    if epoch.isdigit():
        moment = datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc)
    else:
        moment = datetime.datetime.now(tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def build_page(title, metrics, roc_uri, confusion_uri):
    multiclass = isinstance(metrics.get("classes"), list) and len(metrics["classes"]) > 2
    rows = []
    for key, name, explanation in METRICS:
        if key not in metrics:
            continue
        if key == "n_positive" and metrics[key] is None:
            continue
        if multiclass and key in ("precision", "recall", "f1", "roc_auc"):
            explanation += " With more than two classes, this is the average over the classes (each class against the rest)."
        rows.append((name, metrics[key], explanation))
    known = {k for k, _, _ in METRICS} | DETAILS
    for key in sorted(k for k in metrics if k not in known):
        value = metrics[key]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            rows.append((key, value, ""))

    details = []
    if "model" in metrics:
        details.append(("Model", MODEL_NAMES.get(metrics["model"], metrics["model"])))
    if "target" in metrics:
        details.append(("Outcome column", metrics["target"]))
    if isinstance(metrics.get("classes"), list):
        details.append(("Classes", ", ".join(str(c) for c in metrics["classes"])))
    if metrics.get("positive_class") is not None:
        details.append(("Positive class", metrics["positive_class"]))
    if metrics.get("averaging") and metrics["averaging"] != "binary":
        details.append(("Averaging", metrics["averaging"]))

    out = []
    out.append("<!DOCTYPE html>")
    out.append('<html lang="en">')
    out.append("<head>")
    out.append('<meta charset="utf-8">')
    out.append('<meta name="viewport" content="width=device-width, initial-scale=1">')
    out.append('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; '
               'style-src \'unsafe-inline\'">')
    out.append("<title>%s</title>" % esc(title))
    out.append("<style>%s</style>" % CSS)
    out.append("</head>")
    out.append("<body>")
    out.append("<h1>%s</h1>" % esc(title))
    out.append('<p class="meta">Generated %s by Fluxo.</p>' % esc(generated_at()))
    if details:
        out.append("<h2>What was evaluated</h2>")
        out.append("<dl>")
        for name, value in details:
            out.append("<dt>%s</dt><dd>%s</dd>" % (esc(name), esc(format_value(value))))
        out.append("</dl>")
    out.append("<h2>Metrics</h2>")
    if rows:
        out.append("<table>")
        out.append("<thead><tr><th>Metric</th><th>Value</th><th>What it means</th></tr></thead>")
        out.append("<tbody>")
        for name, value, explanation in rows:
            out.append('<tr><td>%s</td><td class="value">%s</td><td class="explain">%s</td></tr>'
                       % (esc(name), esc(format_value(value)), esc(explanation)))
        out.append("</tbody>")
        out.append("</table>")
    else:
        out.append('<p class="note">The metrics file holds no known metrics.</p>')
    out.append('<p class="note">All metrics were measured on test samples the model did not learn from. '
               "They describe this data set only; check a model on data from a new source before relying on it.</p>")

    figures = []
    if roc_uri:
        figures.append((roc_uri, "ROC curve",
                        "ROC curve: each point is one possible yes/no cut-off. The closer the curve runs to the "
                        "top-left corner, the better; the dashed diagonal is what guessing would give."))
    if confusion_uri:
        figures.append((confusion_uri, "Confusion matrix",
                        "Confusion matrix: rows are the true classes, columns the predicted ones. The diagonal "
                        "counts correct predictions; every other cell is a kind of mistake."))
    if figures:
        out.append("<h2>Figures</h2>")
        out.append('<div class="figures">')
        for uri, alt, caption in figures:
            out.append('<figure><img src="%s" alt="%s"><figcaption>%s</figcaption></figure>'
                       % (uri, esc(alt), esc(caption)))
        out.append("</div>")
    out.append("<footer>Made with Fluxo. This page is self-contained: it loads nothing from the network.</footer>")
    out.append("</body>")
    out.append("</html>")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description="Write a self-contained HTML report of an evaluation.")
    parser.add_argument("--metrics", default="")
    parser.add_argument("--roc-curve", default="")
    parser.add_argument("--confusion-matrix", default="")
    parser.add_argument("--title", default="Model evaluation report")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()

    title = args.title.strip() or "Model evaluation report"
    metrics = load_metrics(args.metrics)
    roc_uri = load_png(args.roc_curve, "ROC curve")
    confusion_uri = load_png(args.confusion_matrix, "confusion matrix")
    print("Read %d metric values%s%s" % (len(metrics), ", ROC curve" if roc_uri else "",
                                         ", confusion matrix" if confusion_uri else ""))
    write_text(args.output, build_page(title, metrics, roc_uri, confusion_uri))
    print("Wrote " + args.output)


if __name__ == "__main__":
    main()
