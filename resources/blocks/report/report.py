#!/usr/bin/env python3
"""Fluxo block "Report": one self-contained HTML page with the metrics, figures and tables of a pipeline,
and a model card.

Inputs arrive as file paths, several per input when it collects the outputs of many steps or of every
point of a sweep (fan-in). Each is labelled by where it came from: the step folder (runs keep outputs
in steps/<step>/...) and, for a sweep task, the settings in the fluxo-task.json Fluxo writes beside it.

The page has no scripts and no links to the internet: figures are embedded as data: URIs, so it can be
mailed or archived as one file. Every value that comes from a file or a setting is HTML-escaped. Only
the Python standard library is used.
"""
import argparse
import base64
import csv
import datetime
import html
import json
import math
import os

from fluxo_block import MODEL_TITLES, fail, parse_integer, write_text

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
TASK_FILE = "fluxo-task.json"
MAX_CELL = 300  # characters of a table cell shown; longer texts are cut with an ellipsis

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
    ("average_precision", "Average precision",
     "The area under the precision-recall curve; compare it with the share of positives, which is what chance gives."),
    ("brier", "Brier score",
     "Mean squared difference between the predicted probability and what happened; 0 is perfect, lower is better."),
    ("r2", "R\u00b2",
     "Share of the variation of the outcome the model explains; 1 is perfect, 0 is no better than predicting the mean."),
    ("rmse", "RMSE", "Typical size of a prediction error, in the outcome's own unit; lower is better."),
    ("mae", "MAE", "Average size of a prediction error, in the outcome's own unit; lower is better."),
    ("exact_match", "Exact match",
     "Share of answers identical to the reference, ignoring case, punctuation and articles; 1 means all of them."),
    ("token_f1", "Token F1",
     "Partial credit for the words an answer shares with its reference, averaged over answers; 1 is perfect."),
    ("contains_reference", "Contains the reference",
     "Share of answers in which the reference answer appears word for word, for models that answer in sentences."),
    ("train_loss", "Training loss",
     "How far the model's predictions were from the training answers at the end of training; lower is better, "
     "but a very low loss on a small data set can mean it learned the examples by heart."),
    ("n_test", "Test samples",
     "Number of held-out samples the metrics were computed on. The model never saw them during training; "
     "with few samples the metrics are less certain."),
    ("n_positive", "Positive test samples",
     "How many of the test samples belong to the positive class."),
    ("n_examples", "Answers scored", "Number of generated answers compared with their references."),
    ("train_examples", "Training examples", "Number of examples the model was fine-tuned on."),
]
KNOWN = {key: (name, explanation) for key, name, explanation in METRICS}
# The one or two numbers the model card quotes per metrics file, first found first.
HEADLINE = ("roc_auc", "accuracy", "r2", "rmse", "exact_match", "token_f1", "train_loss")
# Text facts shown as "what was evaluated" rather than as metrics.
DETAILS = [
    ("model", "Model"), ("base_model", "Base model"), ("target", "Outcome column"), ("classes", "Classes"),
    ("positive_class", "Positive class"), ("averaging", "Averaging"), ("prompt_format", "Prompt format"),
    ("answer_field", "Answer field"), ("reference_field", "Reference field"),
]
DETAIL_KEYS = {key for key, _ in DETAILS}
# Structured values drawn in their own sections (subgroups) or by figures (confusion matrix).
STRUCTURED = {"subgroups", "confusion_matrix"}
CAPTIONS = {
    "roc": "ROC curve: each point is one possible yes/no cut-off. The closer the curve runs to the top-left corner, "
           "the better; the dashed diagonal is what guessing would give.",
    "confusion_matrix": "Confusion matrix: rows are the true classes, columns the predicted ones. The diagonal "
                        "counts correct predictions; every other cell is a kind of mistake.",
    "pr": "Precision-recall curve: precision against recall at every cut-off; the higher and further right, the better.",
    "calibration": "Calibration curve: predicted probability against the share that really was positive; a "
                   "well-calibrated model follows the diagonal.",
}
FIGURE_NAMES = {"roc_curve": "roc", "confusion": "confusion_matrix", "pr_curve": "pr", "calibration_curve": "calibration"}

CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1d2733;
       max-width: 64rem; margin: 2rem auto; padding: 0 1.5rem; line-height: 1.5; }
h1 { font-size: 1.7rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #d5dbe3; padding-bottom: 0.2rem; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 0.3rem; }
.meta { color: #5b6776; margin-top: 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: 0.8rem 0; }
th, td { text-align: left; vertical-align: top; padding: 0.45rem 0.7rem; border-bottom: 1px solid #e3e8ee; }
th { background: #f3f6f9; font-weight: 600; }
td.value, td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
td.value { font-weight: 600; }
td.explain { color: #3d4957; }
table.data td, table.data th { font-size: 0.9rem; padding: 0.3rem 0.5rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.3rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; }
.figures { display: flex; flex-wrap: wrap; gap: 1.5rem; }
figure { margin: 0; flex: 1 1 22rem; }
figure img { width: 100%; max-width: 34rem; height: auto; border: 1px solid #e3e8ee; }
figcaption { color: #3d4957; font-size: 0.92rem; margin-top: 0.4rem; }
.note { background: #fff8e1; border-left: 4px solid #f0b400; padding: 0.5rem 0.8rem; }
.missing { color: #8a5a00; }
footer { margin-top: 2.5rem; color: #7a8594; font-size: 0.85rem; }
"""


def esc(value):
    return html.escape(str(value), quote=True)


def paragraphs(text):
    """A setting's text as HTML paragraphs: blank lines separate paragraphs, single newlines break lines."""
    blocks = [b.strip() for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    return "\n".join("<p>%s</p>" % "<br>".join(esc(line) for line in b.split("\n")) for b in blocks)


# --- Where an input came from ---

def find_task(path):
    """The fluxo-task.json of a sweep task: in the input's folder or a parent, up to the step folder."""
    folder = os.path.dirname(os.path.abspath(path))
    for _ in range(4):
        candidate = os.path.join(folder, TASK_FILE)
        if os.path.isfile(candidate):
            try:
                with open(candidate, encoding="utf-8") as handle:
                    task = json.load(handle)
            except (OSError, ValueError):
                return None
            return task if isinstance(task, dict) and isinstance(task.get("params"), dict) else None
        parent = os.path.dirname(folder)
        if parent == folder or os.path.basename(parent) == "steps":  # the step folder is the last to look in
            return None
        folder = parent
    return None


def source_label(path):
    """"evaluate", or "train, task 2: c = 0.1" for a sweep task; outside a run, the folder and file name."""
    parts = os.path.abspath(path).split(os.sep)
    if "steps" in parts[:-1]:
        index = len(parts) - 1 - parts[::-1].index("steps")
        label = parts[index + 1] if index + 2 < len(parts) else os.path.basename(path)
    else:
        label = "/".join(parts[-2:])
    task = find_task(path)
    if task is not None:
        settings = ", ".join("%s = %s" % (k, format_value(v)) for k, v in task["params"].items())
        label += ", task %s" % task.get("task", "?") + (": " + settings if settings else "")
    return label


# --- Reading the inputs ---

def load_metrics(path):
    if not os.path.isfile(path):
        fail('the metrics file "%s" does not exist; run the step that writes it first.' % path)
    try:
        with open(path, "r", encoding="utf-8") as handle:
            metrics = json.load(handle)
    except (ValueError, UnicodeDecodeError) as exc:
        fail('"%s" is not a readable metrics file (%s); connect a metrics output (metrics.json).' % (path, exc))
    if not isinstance(metrics, dict):
        fail('"%s" does not hold a set of named metrics; connect a metrics output (metrics.json).' % path)
    return metrics


def load_image(path, what):
    """The image as a data: URI (PNG or JPEG, told by their first bytes)."""
    if not os.path.isfile(path):
        fail('the %s "%s" does not exist; run the step that draws it first, or disconnect it.' % (what, path))
    with open(path, "rb") as handle:
        data = handle.read()
    if data.startswith(PNG_SIGNATURE):
        kind = "png"
    elif data.startswith(JPEG_SIGNATURE):
        kind = "jpeg"
    else:
        fail('the %s "%s" is not a PNG or JPEG image; connect figures to Figures and tables to Tables.' % (what, path))
    return "data:image/%s;base64,%s" % (kind, base64.b64encode(data).decode("ascii"))


def load_table(path, limit):
    """(columns, first ``limit`` rows, total rows) of a CSV, TSV, JSON Lines or JSON table."""
    if os.path.isdir(path):
        fail('the table "%s" is a folder; connect a table (CSV, TSV or JSON Lines) to Tables.' % path)
    if not os.path.isfile(path):
        fail('the table "%s" does not exist; run the step that writes it first.' % path)
    try:
        with open(path, "r", encoding="utf-8-sig", newline="") as handle:
            start = handle.read(4096).lstrip()[:1]
            handle.seek(0)
            if start in ("{", "["):
                records = json.load(handle) if start == "[" else [json.loads(line) for line in handle if line.strip()]
                if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
                    raise ValueError("not a list of records")
                columns = []
                for record in records[:limit]:
                    columns.extend(k for k in record if k not in columns)
                rows = [[record.get(c, "") for c in columns] for record in records[:limit]]
                return columns, rows, len(records)
            reader = csv.reader(handle, delimiter="\t" if path.lower().endswith(".tsv") else ",")
            columns = next(reader, [])
            rows, total = [], 0
            for row in reader:
                total += 1
                if len(rows) < limit:
                    rows.append(row)
            return columns, rows, total
    except (ValueError, UnicodeDecodeError, csv.Error) as exc:
        fail('the table "%s" is not a readable CSV, TSV or JSON Lines table (%s); connect tables to Tables.' % (path, exc))


# --- Values ---

def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def format_value(value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "not available"
        # Four decimals, as the metrics are rounded; tiny values (learning rates) keep their digits.
        return "%.4f" % value if value == 0 or abs(value) >= 0.001 else "%.3g" % value
    if value is None:
        return "not available"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def cell(value):
    text = format_value(value) if not isinstance(value, str) else value
    return text if len(text) <= MAX_CELL else text[:MAX_CELL] + "\u2026"


def detail_value(key, value):
    if key == "model":
        return MODEL_TITLES.get(value, value)
    if key == "classes" and isinstance(value, list):
        return ", ".join(str(c) for c in value)
    return value


def metric_keys(all_metrics):
    """Numeric metrics present in any file: the known ones in a fixed order, then the others by name."""
    present = set()
    for metrics in all_metrics:
        present.update(k for k, v in metrics.items() if (is_number(v) or v is None) and k not in DETAIL_KEYS | STRUCTURED)
    ordered = [k for k, _, _ in METRICS if k in present]
    return ordered + sorted(present - set(ordered))


def subgroup_rows(metrics):
    """(column, rows) from a metrics file's "subgroups": {"column": ..., "groups": [{...}, ...]} (Evaluate
    classifier), a list of rows, or a mapping group -> metrics. None when there are none."""
    found = metrics.get("subgroups")
    column = None
    if isinstance(found, dict) and "groups" in found:
        column, found = found.get("column"), found.get("groups")
    if isinstance(found, dict):
        found = [dict({"group": group}, **values) for group, values in found.items() if isinstance(values, dict)]
    if not isinstance(found, list):
        return None
    rows = [r for r in found if isinstance(r, dict)]
    return (column, rows) if rows else None


# --- The page ---

def table_html(columns, rows, numeric_class=True, css="data"):
    """One line per row; numbers get the tabular-figures class unless ``numeric_class`` is off."""
    out = ['<div class="scroll"><table class="%s">' % css,
           "<thead><tr>%s</tr></thead>" % "".join("<th>%s</th>" % esc(c) for c in columns), "<tbody>"]
    for row in rows:
        out.append("<tr>%s</tr>" % "".join(
            '<td%s>%s</td>' % (' class="num"' if numeric_class and is_number(v) else "", esc(cell(v))) for v in row))
    out.append("</tbody></table></div>")
    return "\n".join(out)


def single_metrics_table(metrics):
    """One file's metrics, one row each, with what each means."""
    multiclass = isinstance(metrics.get("classes"), list) and len(metrics["classes"]) > 2
    rows = []
    for key in metric_keys([metrics]):
        if metrics[key] is None and (key not in KNOWN or key == "n_positive"):
            continue
        name, explanation = KNOWN.get(key, (key, ""))
        if multiclass and key in ("precision", "recall", "f1", "roc_auc"):
            explanation += " With more than two classes, this is the average over the classes (each class against the rest)."
        rows.append((name, metrics[key], explanation))
    if not rows:
        return ['<p class="note">The metrics file holds no numeric metrics.</p>']
    out = ["<table>", "<thead><tr><th>Metric</th><th>Value</th><th>What it means</th></tr></thead>", "<tbody>"]
    for name, value, explanation in rows:
        out.append('<tr><td>%s</td><td class="value">%s</td><td class="explain">%s</td></tr>'
                   % (esc(name), esc(format_value(value)), esc(explanation)))
    out.extend(["</tbody>", "</table>"])
    return out


def comparison_table(sources):
    """Files with the same metrics (the points of a sweep, repeated evaluations): one row each."""
    all_metrics = [m for _, m in sources]
    keys = metric_keys(all_metrics)
    details = [k for k, _ in DETAILS if any(k in m for m in all_metrics)]
    columns = ["Source"] + [dict(DETAILS)[k] for k in details] + [KNOWN.get(k, (k, ""))[0] for k in keys]
    rows = [[label] + [detail_value(k, m.get(k, "")) for k in details] + [m[k] for k in keys] for label, m in sources]
    out = ["<p>%d metrics files with the same metrics, one row each.</p>" % len(sources), table_html(columns, rows)]
    explained = [k for k in keys if k in KNOWN]
    if explained:
        out.append("<dl>")
        out.extend("<dt>%s</dt><dd>%s</dd>" % (esc(KNOWN[k][0]), esc(KNOWN[k][1])) for k in explained)
        out.append("</dl>")
    return out


def metrics_section(sources):
    """One file: its metrics explained. Several: files with the same metrics side by side, others one by one."""
    out = ["<h2>Metrics</h2>"]
    if not sources:
        out.append('<p class="note">No metrics are connected. Connect the metrics output of an evaluation step to '
                   "Metrics to see them here.</p>")
        return out
    if len(sources) == 1:
        out.extend(single_metrics_table(sources[0][1]))
    else:
        groups = {}
        for label, metrics in sources:
            groups.setdefault(tuple(metric_keys([metrics])), []).append((label, metrics))
        for group in groups.values():
            if len(group) > 1:
                out.extend(comparison_table(group))
            else:
                out.append("<h3>%s</h3>" % esc(group[0][0]))
                out.extend(single_metrics_table(group[0][1]))
    if any("n_test" in m for _, m in sources):
        out.append('<p class="note">All metrics were measured on test samples the model did not learn from. '
                   "They describe this data set only; check a model on data from a new source before relying on it.</p>")
    else:
        out.append('<p class="note">Metrics describe the data they were measured on only; check a model on data from '
                   "a new source before relying on it.</p>")
    return out


def subgroups_section(sources):
    out = []
    for label, metrics in sources:
        found = subgroup_rows(metrics)
        if not found:
            continue
        column, rows = found
        columns = []
        for row in rows:
            columns.extend(k for k in row if k not in columns)
        what = ' by "%s"' % column if column else ""
        out.append("<h3>%s</h3>" % esc("%s%s" % (label, what) if len(sources) > 1 else "Results%s" % what))
        out.append(table_html(columns, [[row.get(c, "") for c in columns] for row in rows]))
    if out:
        out.insert(0, "<h2>Subgroup results</h2>")
        out.insert(1, "<p>The same metrics for each group. A model that does well overall can still do poorly for "
                      "one group; small groups give uncertain numbers.</p>")
    return out


def figure_caption(path, label):
    """A known figure (by its file name, as the evaluation blocks write them) gets its explanation."""
    stem = os.path.splitext(os.path.basename(path))[0].lower()
    key = FIGURE_NAMES.get(stem, stem)
    if key in CAPTIONS:
        return "%s (%s)" % (CAPTIONS[key], label)
    return "%s (%s)" % (os.path.basename(path), label)


def model_card(args, sources, figures, tables, has_subgroups):
    all_metrics = [m for _, m in sources]
    out = ["<h2>Model card</h2>",
           "<p>A short description of the model for the people who will use it or review it.</p>"]

    def facts(keys, counts=False):
        found = []
        for key, title in DETAILS:
            if key in keys:
                values = []
                for m in all_metrics:
                    if key in m and format_value(detail_value(key, m[key])) not in values:
                        values.append(format_value(detail_value(key, m[key])))
                if values:
                    found.append((title, "; ".join(values)))
        for key in ("n_test", "n_examples", "train_examples") if counts else ():
            values = sorted({m[key] for m in all_metrics if is_number(m.get(key))})
            if values:
                found.append((KNOWN[key][0], ", ".join(str(v) for v in values)))
        return found

    def section(title, text, missing, fact_list=()):
        out.append("<h3>%s</h3>" % esc(title))
        if text.strip():
            out.append(paragraphs(text))
        else:
            out.append('<p class="missing">%s</p>' % esc(missing))
        if fact_list:
            out.append("<dl>")
            for name, value in fact_list:
                out.append("<dt>%s</dt><dd>%s</dd>" % (esc(name), esc(value)))
            out.append("</dl>")

    section("Data", args.data_description,
            "Not described. Say in the Report step's settings where the data come from, who is in it, when it was "
            "collected and how the outcome was measured.",
            facts({"target", "classes", "positive_class", "answer_field", "reference_field"}, counts=True))
    section("Model", args.model_description,
            "Not described. Say in the Report step's settings what the model does and how it was trained.",
            facts({"model", "base_model", "prompt_format"}))
    out.append("<h3>Metrics</h3>")
    headline = []
    for label, metrics in sources:
        found = [k for k in HEADLINE if is_number(metrics.get(k))][:2]
        if found:
            headline.append("%s: %s" % (label, ", ".join("%s %s" % (KNOWN[k][0], format_value(metrics[k])) for k in found)))
    if headline:
        out.append("<ul>%s</ul>" % "".join("<li>%s</li>" % esc(h) for h in headline))
        out.append("<p>All numbers are in the Metrics section above.</p>")
    else:
        out.append('<p class="missing">No metrics were connected.</p>')
    out.append("<h3>Subgroup results</h3>")
    if has_subgroups:
        out.append("<p>See Subgroup results above: check that no group does much worse than the others.</p>")
    else:
        out.append('<p class="missing">None were connected. Check how the model does for each group it will be used on '
                   "(sex, age band, site, ...) before relying on it, for example with Evaluate classifier's "
                   "Subgroup column.</p>")
    section("Intended use", args.intended_use,
            "Not stated. Say in the Report step's settings who should use the model, for what decision, and for whom "
            "it is not meant.")
    section("Limitations", args.limitations,
            "Not stated. Say in the Report step's settings what the model was not tested on and known ways it fails.")
    out.append('<p class="note">Results from one data set, one split or one sweep do not show that a model is safe '
               "for care. A model for clinical use needs validation on independent data and the approvals its use "
               "requires.</p>")
    return out


def generated_at():
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()  # reproducible builds convention
    if epoch.isdigit():
        moment = datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc)
    else:
        moment = datetime.datetime.now(tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def build_page(args, title, sources, figures, tables):
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; '
           'style-src \'unsafe-inline\'">',
           "<title>%s</title>" % esc(title), "<style>%s</style>" % CSS, "</head>", "<body>",
           "<h1>%s</h1>" % esc(title),
           '<p class="meta">Generated %s by Fluxo.</p>' % esc(generated_at())]

    if len(sources) == 1:
        metrics = sources[0][1]
        details = [(name, detail_value(key, metrics[key])) for key, name in DETAILS
                   if metrics.get(key) is not None and not (key == "averaging" and metrics[key] == "binary")]
        for key in sorted(metrics):
            if key not in DETAIL_KEYS | STRUCTURED and isinstance(metrics[key], str):
                details.append((key, metrics[key]))
        if details:
            out.append("<h2>What was evaluated</h2>")
            out.append("<dl>")
            for name, value in details:
                out.append("<dt>%s</dt><dd>%s</dd>" % (esc(name), esc(format_value(value))))
            out.append("</dl>")

    out.extend(metrics_section(sources))
    subgroups = subgroups_section(sources)
    out.extend(subgroups)

    if figures:
        out.append("<h2>Figures</h2>")
        out.append('<div class="figures">')
        for uri, alt, caption in figures:
            out.append('<figure><img src="%s" alt="%s"><figcaption>%s</figcaption></figure>'
                       % (esc(uri), esc(alt), esc(caption)))
        out.append("</div>")

    if tables:
        out.append("<h2>Tables</h2>")
        for label, (columns, rows, total) in tables:
            out.append("<h3>%s</h3>" % esc(label))
            shown = "All %d rows." % total if len(rows) == total else "The first %d of %d rows." % (len(rows), total)
            out.append("<p>%s</p>" % shown)
            out.append(table_html(columns, rows, numeric_class=False))

    out.extend(model_card(args, sources, figures, tables, bool(subgroups)))
    out.append("<footer>Made with Fluxo. This page is self-contained: it loads nothing from the network.</footer>")
    out.append("</body>")
    out.append("</html>")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description="Write a self-contained HTML report with a model card.")
    parser.add_argument("--metrics", nargs="*", default=[])
    parser.add_argument("--roc-curve", default="")
    parser.add_argument("--confusion-matrix", default="")
    parser.add_argument("--figures", nargs="*", default=[])
    parser.add_argument("--tables", nargs="*", default=[])
    parser.add_argument("--title", default="Model evaluation report")
    parser.add_argument("--data-description", default="")
    parser.add_argument("--model-description", default="")
    parser.add_argument("--intended-use", default="")
    parser.add_argument("--limitations", default="")
    parser.add_argument("--table-rows", default="20")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()

    title = args.title.strip() or "Model evaluation report"
    limit = parse_integer(args.table_rows, "Table rows shown", 20)
    if limit < 1:
        fail('"Table rows shown" must be at least 1 (it is %d).' % limit)
    # An unconnected input arrives as one empty argument (or none at all for a fan-in input).
    metric_paths = [p for p in args.metrics if p]
    figure_paths = [p for p in args.figures if p]
    table_paths = [p for p in args.tables if p]
    if not (metric_paths or figure_paths or table_paths or args.roc_curve or args.confusion_matrix):
        fail("nothing is connected; connect metrics, figures or tables from the steps to report on.")

    sources = [(source_label(p), load_metrics(p)) for p in metric_paths]
    figures = []
    for path, caption, alt in ((args.roc_curve, CAPTIONS["roc"], "ROC curve"),
                               (args.confusion_matrix, CAPTIONS["confusion_matrix"], "Confusion matrix")):
        if path:
            figures.append((load_image(path, alt), alt, caption))
    for path in figure_paths:
        label = source_label(path)
        figures.append((load_image(path, "figure"), "%s (%s)" % (os.path.basename(path), label), figure_caption(path, label)))
    tables = [(source_label(p), load_table(p, limit)) for p in table_paths]
    print("Read %d metrics files, %d figures and %d tables" % (len(sources), len(figures), len(tables)))
    write_text(args.output, build_page(args, title, sources, figures, tables))
    print("Wrote " + args.output)


if __name__ == "__main__":
    main()
