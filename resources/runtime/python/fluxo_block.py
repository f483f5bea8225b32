"""Fluxo's shared helpers for Python blocks: ``import fluxo_block``.

What it is
    The small pieces every block script needs the same way: stopping with a plain error message,
    writing outputs atomically, reading settings (numbers, whole numbers, yes/no) and input tables,
    and naming columns in messages. Written once here instead of once per block. A last section
    holds what the tabular blocks share: outcome and feature columns, the classifier choices,
    scores, model files and figures.

Where it comes from
    The source is ``resources/runtime/python/fluxo_block.py`` in the Fluxo repository. The compiler
    ships a copy in every bundle that has a Python step, at ``lib/python/fluxo_block.py``, and each
    Python step script puts that folder first on ``PYTHONPATH`` before it runs the block. A bundle
    therefore always carries the version of this file it was compiled with: old bundles keep
    working unchanged when this file changes later.

Rules for this file
    * Import only the standard library at module level. A block may import this module and
      nothing else besides the standard library and the modules it declares in its block.yaml
      (``software.python.modules``): the Report block declares none. Third-party modules (pandas)
      are imported inside the one function that needs them, so only the blocks that call that
      function need them installed.
    * Stay compatible with the oldest Python a block declares (``minVersion``, currently 3.9).
    * The messages are what users read when a step fails, and tests assert them word for word:
      change one only on purpose, and for every block that uses it.
    * Put a helper here only when at least two blocks share it; logic of one block stays in it.

Every error goes through :func:`fail`: one line ``error: <message>`` on standard error and exit
status 2, which Fluxo shows as the step's failure reason (no traceback).
"""
import csv
import json
import os
import re
import sys

__all__ = [
    "fail",
    "write_atomically",
    "write_text",
    "parse_number",
    "parse_integer",
    "parse_boolean",
    "list_columns",
    "read_table",
    "plain",
    # Tabular helpers (the section at the end of this file).
    "MODEL_TITLES",
    "CLASSIFIERS",
    "MODEL_MAKERS",
    "rounded",
    "available_cpus",
    "target_values",
    "check_features",
    "classifier_settings",
    "make_classifier",
    "fit_quietly",
    "classification_scores",
    "load_model",
    "model_inputs",
    # Records for the language-model blocks (the last section of this file).
    "DATA_EXTENSIONS",
    "find_data_file",
    "read_records",
    "field_text",
    "check_field",
    "write_figure",
]


def fail(message):
    """Stops the block: prints ``error: <message>`` on standard error and exits with status 2."""
    print("error: " + message, file=sys.stderr)
    sys.exit(2)


def write_atomically(path, write):
    """Writes through a temporary file in the same folder so readers never see half a file.

    ``write`` is called with the temporary file's path and must write the whole file there. Only
    when it returns is the file moved to ``path`` (an atomic rename in the same folder); when it
    raises, the temporary file is removed, ``path`` is left as it was and the exception goes on.
    Missing folders on the way to ``path`` are created.
    """
    path = os.path.abspath(path)
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, ".%s.%d.tmp" % (os.path.basename(path), os.getpid()))
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_text(path, text):
    """Writes ``text`` to ``path`` as UTF-8, atomically (see :func:`write_atomically`)."""

    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)

    write_atomically(path, write)


def parse_number(text, name, default):
    """A number setting; ``name`` is the setting's title as the user sees it.

    A setting that is hidden in the editor may arrive as an empty string: that means ``default``.
    Anything else that is not a number stops the block with a message naming the setting.
    """
    if text.strip() == "":
        return default
    try:
        return float(text)
    except ValueError:
        fail('"%s" must be a number (it is "%s").' % (name, text))


def parse_integer(text, name, default):
    """A whole-number setting (``"4"`` and ``"4.0"`` are 4, ``"4.5"`` stops the block); empty means ``default``."""
    value = parse_number(text, name, default)
    if value != int(value):
        fail('"%s" must be a whole number (it is "%s").' % (name, text))
    return int(value)


def parse_boolean(text, name, default):
    """A yes/no setting: true/yes/1 or false/no/0, in any case; empty means ``default``."""
    word = text.strip().lower()
    if word == "":
        return default
    if word in ("true", "yes", "1"):
        return True
    if word in ("false", "no", "0"):
        return False
    fail('"%s" must be true or false (it is "%s").' % (name, text))


def list_columns(columns, limit=12):
    """Column names for a message: ``"a", "b"``, and past ``limit`` names ``... and N more``."""
    names = ['"%s"' % c for c in columns]
    if len(names) > limit:
        return ", ".join(names[:limit]) + " and %d more" % (len(names) - limit)
    return ", ".join(names)


def read_table(path, what):
    """Reads an input CSV table into a pandas DataFrame, or stops the block with a plain message.

    ``path`` is the connected input (an empty string when nothing is connected); ``what`` names it
    in messages ("training table"). Floats are read exactly as written (round trip), and a table
    without rows is refused. Needs pandas, which only the blocks that call this function declare.
    """
    import pandas as pd

    if not path:
        fail("no %s is connected; connect a table to this step's input." % what)
    if not os.path.isfile(path):
        fail('the %s "%s" does not exist; run the step that produces it first.' % (what, path))
    if os.path.getsize(path) == 0:
        fail('the %s "%s" is empty; check the step that produces it.' % (what, path))
    try:
        table = pd.read_csv(path, float_precision="round_trip")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        fail('the %s "%s" is not a readable CSV table (%s); connect a CSV table.'
             % (what, path, str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__))
    if len(table) == 0:
        fail('the %s "%s" has no rows.' % (what, path))
    return table


def plain(value):
    """numpy scalars to Python values, so they go into JSON and compare equal to CSV values."""
    return value.item() if hasattr(value, "item") else value


# ---------------------------------------------------------------------------------------------
# Tabular helpers: shared by the blocks that train, cross-validate, evaluate and explain
# scikit-learn models on tables (train-classifier, cross-validate, train-regressor,
# evaluate-classifier, evaluate-regressor, permutation-importance). Same rules as above:
# third-party modules are imported inside the function that needs them.
# ---------------------------------------------------------------------------------------------

#: Model kinds as saved in a model file ("kind"), with the name users read in logs and figures.
#: Regressors reuse "random_forest" and "gradient_boosting"; the file's "task" tells them apart.
MODEL_TITLES = {
    "logistic_regression": "Logistic regression",
    "random_forest": "Random forest",
    "gradient_boosting": "Gradient boosting",
    "xgboost": "XGBoost",
    "linear": "Linear regression (ridge)",
}

#: The classifier kinds Train classifier and Cross-validate offer, in the order of their choice lists.
CLASSIFIERS = ("logistic_regression", "random_forest", "gradient_boosting", "xgboost")

#: What a saved model predicts ("task" in the model file) and the block that makes such models.
MODEL_MAKERS = {"classification": "Train classifier", "regression": "Train regressor"}


def rounded(value, digits=4):
    """A metric for JSON: a float rounded to ``digits`` decimals, or None when it has no value."""
    if value is None:
        return None
    value = float(value)
    return None if value != value else round(value, digits)  # NaN (x != x) is "not available"


def available_cpus():
    """CPUs this process may use: respects Slurm's and taskset's CPU limits where the OS tells them."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def target_values(table, target, what="table"):
    """The outcome column of a table, with rows whose outcome is empty dropped (and said so).

    Returns ``(table, y)``. Whole-number floats become integers (1.0 -> 1) so classes read as
    written. A missing column stops the block with the table's columns listed.
    """
    if target not in table.columns:
        fail('the %s has no column "%s"; its columns are %s. Set "Target column" to the column that holds '
             "the outcome to predict." % (what, target, list_columns(table.columns)))
    missing = int(table[target].isna().sum())
    if missing:
        print('Dropped %d rows with no value in "%s"' % (missing, target))
        table = table[table[target].notna()].reset_index(drop=True)
        if len(table) == 0:
            fail('every row of the %s has an empty "%s"; there is nothing to use.' % (what, target))
    y = table[target]
    if y.dtype.kind == "f" and len(y) and (y == y.round()).all():
        y = y.astype("int64")
    return table, y


def check_features(table, features, what="table"):
    """Stops the block when a feature column holds text or has empty cells, naming the columns."""
    import pandas as pd

    text = [c for c in features if not pd.api.types.is_numeric_dtype(table[c])]
    if text:
        fail("these columns of the %s hold text, but the model needs numbers: %s. Remove them or turn them into "
             "numbers (e.g. 0/1) first." % (what, list_columns(text)))
    empty = [c for c in features if table[c].isna().any()]
    if empty:
        fail('these columns of the %s have empty cells: %s. Add an "Impute and scale" step before this one, or '
             "remove the incomplete rows or columns." % (what, list_columns(empty)))


def classifier_settings(args):
    """Reads and checks the classifier settings Train classifier and Cross-validate share.

    ``args`` has the attributes ``model``, ``c``, ``n_estimators``, ``max_depth``,
    ``learning_rate`` and ``seed`` as text (argparse). Settings hidden in the editor arrive empty
    and take their defaults; the rest are checked only for the chosen model.
    """
    kind = args.model.strip() or "logistic_regression"
    if kind not in CLASSIFIERS:
        fail('unknown model "%s"; choose one of: %s.' % (kind, ", ".join(CLASSIFIERS)))
    settings = {
        "kind": kind,
        "c": parse_number(args.c, "Regularisation (C)", 1.0),
        "n_estimators": parse_integer(args.n_estimators, "Number of trees", 200),
        "max_depth": parse_integer(args.max_depth, "Maximum tree depth", 0),
        "learning_rate": parse_number(args.learning_rate, "Learning rate", 0.1),
        "seed": parse_integer(args.seed, "Random seed", 42),
    }
    if kind == "logistic_regression" and not settings["c"] > 0:
        fail('"Regularisation (C)" must be above 0 (it is %s); 1 is a good start.' % settings["c"])
    if kind != "logistic_regression" and settings["n_estimators"] < 1:
        fail('"Number of trees" must be at least 1 (it is %d); 200 is a good start.' % settings["n_estimators"])
    if settings["max_depth"] < 0:
        fail('"Maximum tree depth" must be 0 (no limit) or more (it is %d).' % settings["max_depth"])
    if kind in ("gradient_boosting", "xgboost") and not 0 < settings["learning_rate"] <= 1:
        fail('"Learning rate" must be above 0 and at most 1 (it is %s); 0.1 is a good start.' % settings["learning_rate"])
    if not 0 <= settings["seed"] <= 2**32 - 1:
        fail('"Random seed" must be between 0 and 4294967295 (it is %d).' % settings["seed"])
    return settings


def _xgboost():
    # Optional: only the "xgboost" choice needs it, so it is imported here and nowhere at module
    # level, and the blocks do not declare it (declaring it would make every run require it).
    try:
        import xgboost
    except ImportError:
        fail('the model "XGBoost" needs the Python package xgboost, which this Python does not have. Install it '
             '(Debian/Ubuntu: "apt install python3-xgboost"; elsewhere: "pip install xgboost") or choose '
             '"Gradient boosting", which gives similar results with scikit-learn alone.')
    return xgboost


def make_classifier(settings, classes, n_jobs=1):
    """An unfitted classifier for :func:`classifier_settings`' result.

    ``classes`` are the outcome classes in the training data (XGBoost needs them numbered 0, 1, ...).
    Returns ``(estimator, description, params)``: the description is for the log ("random forest
    (200 trees, max depth unlimited)"), the params go into the model file and the metrics.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    kind, seed = settings["kind"], settings["seed"]
    depth = settings["max_depth"]
    if kind == "logistic_regression":
        c = settings["c"]
        estimator = Pipeline([
            ("scale", StandardScaler()),
            ("classify", LogisticRegression(C=c, max_iter=10000, random_state=seed)),
        ])
        return estimator, "logistic regression (C = %g)" % c, {"c": c}
    trees = settings["n_estimators"]
    if kind == "random_forest":
        estimator = RandomForestClassifier(
            n_estimators=trees, max_depth=depth or None, random_state=seed, n_jobs=max(1, min(n_jobs, trees)))
        return (estimator, "random forest (%d trees, max depth %s)" % (trees, depth or "unlimited"),
                {"n_estimators": trees, "max_depth": depth})
    rate = settings["learning_rate"]
    if kind == "gradient_boosting":
        # Histogram-based boosting: the scikit-learn counterpart of XGBoost and LightGBM, fast on
        # thousands of rows. Early stopping stays off so the number of trees is the one asked for.
        estimator = HistGradientBoostingClassifier(
            max_iter=trees, max_depth=depth or None, learning_rate=rate, early_stopping=False, random_state=seed)
        return (estimator,
                "gradient boosting (%d trees, learning rate %g, max depth %s)" % (trees, rate, depth or "unlimited"),
                {"n_estimators": trees, "max_depth": depth, "learning_rate": rate})
    xgboost = _xgboost()
    numbered = list(range(len(classes)))
    if set(classes) != set(numbered):
        fail('XGBoost needs the outcome classes numbered %s, but they are %s; recode the target column, or '
             'choose "Gradient boosting".'
             % (", ".join(str(n) for n in numbered), ", ".join(str(c) for c in sorted(classes, key=str))))
    estimator = xgboost.XGBClassifier(
        n_estimators=trees, max_depth=depth or None, learning_rate=rate, random_state=seed,
        n_jobs=max(1, n_jobs), tree_method="hist")
    return (estimator, "XGBoost (%d trees, learning rate %g, max depth %s)" % (trees, rate, depth or "6, its default"),
            {"n_estimators": trees, "max_depth": depth, "learning_rate": rate})


def fit_quietly(estimator, X, y):
    """Fits, turning a fitting error into a plain message and a convergence warning into a note.

    Returns True when the model did not fully converge (logistic regression), which the caller
    reports in its own words.
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        try:
            estimator.fit(X, y)
        except ValueError as exc:
            fail("training failed: %s. Check that every feature column holds finite numbers." % str(exc).rstrip("."))
    for w in caught:
        if not issubclass(w.category, ConvergenceWarning):
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    return any(issubclass(w.category, ConvergenceWarning) for w in caught)


def classification_scores(truth, predicted, proba, classes):
    """Accuracy, ROC AUC, precision, recall and F1 of predictions, rounded for JSON.

    With two classes the positive class is the second (the larger: 1 of 0/1); with more, ROC AUC
    is the mean of each class against the rest and the others are macro averages. A score without
    a value is None: ROC AUC when the rows hold a single class (a small subgroup, a small fold),
    and for two classes precision without predicted positives, recall without actual ones.
    """
    import numpy as np
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

    truth = np.asarray(truth)
    binary = len(classes) == 2
    if binary:
        positive = classes[1]
        is_positive = truth == positive
        auc = roc_auc_score(is_positive, proba[:, 1]) if 0 < is_positive.sum() < len(truth) else None
        averaging = {"average": "binary", "pos_label": positive}
    else:
        per_class = []
        for k, cls in enumerate(classes):
            is_cls = truth == cls
            if is_cls.any() and not is_cls.all():
                per_class.append(roc_auc_score(is_cls, proba[:, k]))
        auc = float(np.mean(per_class)) if per_class else None
        averaging = {"average": "macro", "labels": classes}
    scores = {
        "accuracy": rounded(accuracy_score(truth, predicted)),
        "roc_auc": rounded(auc),
        "precision": rounded(precision_score(truth, predicted, zero_division=0, **averaging)),
        "recall": rounded(recall_score(truth, predicted, zero_division=0, **averaging)),
        "f1": rounded(f1_score(truth, predicted, zero_division=0, **averaging)),
    }
    if binary:
        # Undefined is not zero: without predicted positives precision has no value, without
        # actual positives recall has none (scikit-learn would say 0 and warn).
        flagged, actual = int((np.asarray(predicted) == positive).sum()), int(is_positive.sum())
        if not flagged:
            scores["precision"] = None
        if not actual:
            scores["recall"] = None
        if not flagged and not actual:
            scores["f1"] = None
    return scores


def load_model(path, task):
    """Loads a model file written by Train classifier (task "classification") or Train regressor
    ("regression"); ``task`` None takes either. Stops with a message naming the block to connect.

    Model files are joblib (pickle) files: loading one can run code, which the blocks' help says.
    """
    import joblib
    import sklearn

    maker = MODEL_MAKERS.get(task, "Train classifier or Train regressor")
    if not path:
        fail("no model is connected; connect the output of a %s step." % maker)
    if not os.path.isfile(path):
        fail('the model file "%s" does not exist; run the %s step first.' % (path, maker))
    try:
        saved = joblib.load(path)
    except Exception as exc:  # a foreign or damaged file can fail in many ways; all mean the same to the user
        fail('"%s" is not a model saved by %s (%s); connect the output of a %s step.'
             % (path, maker, type(exc).__name__, maker))
    keys = ("model", "features", "target", "kind")
    if not isinstance(saved, dict) or any(k not in saved for k in keys):
        fail('"%s" is not a model saved by %s; connect the output of a %s step.' % (path, maker, maker))
    saved.setdefault("task", "classification")  # model files from before Train regressor existed
    if task and saved["task"] != task:
        fail('this model was made by %s, but this step needs one from %s; connect it to %s instead.'
             % (MODEL_MAKERS.get(saved["task"], saved["task"]), maker,
                "Evaluate regressor" if saved["task"] == "regression" else "Evaluate classifier"))
    trained_with = saved.get("sklearn_version")
    if trained_with and trained_with != sklearn.__version__:
        print("Note: the model was trained with scikit-learn %s and is used with %s" % (trained_with, sklearn.__version__))
    return saved


def model_inputs(table, saved, target, what="test table"):
    """The feature columns and outcome of a table for a saved model: ``(table, X, y)``.

    Checks that the outcome column and every feature the model was trained on are present,
    numeric and complete; rows with an empty outcome are dropped. Extra columns are ignored.
    """
    if target not in table.columns:
        fail('the %s has no column "%s"; its columns are %s. Set "Target column" to the column that holds '
             'the true outcome (the model was trained on "%s").'
             % (what, target, list_columns(table.columns), saved["target"]))
    features = list(saved["features"])
    missing = [f for f in features if f not in table.columns]
    if missing:
        fail("the %s lacks %d column(s) the model was trained on: %s. Use a table with the same columns as the "
             "training table (split both from one table)." % (what, len(missing), list_columns(missing)))
    table, y = target_values(table, target, what)
    check_features(table, features, what)
    return table, table[features], y


def write_figure(fig, path, dpi=110):
    """Saves a matplotlib figure as PNG, atomically (see :func:`write_atomically`), and closes it."""
    import matplotlib.pyplot as plt

    try:
        write_atomically(path, lambda tmp: fig.savefig(tmp, format="png", dpi=dpi))
    finally:
        plt.close(fig)


# Records (JSON Lines, JSON, CSV, TSV) for the language-model blocks: training data, prompts, answers.
DATA_EXTENSIONS = (".jsonl", ".json", ".csv", ".tsv")


def find_data_file(path, what):
    """The file to read: ``path`` itself, or the one data file in a folder (Upload data and Remote
    path give folders that hold the file under its own name)."""
    if not path:
        fail("no %s is connected; connect a step that gives it (for example Upload data or Remote path)." % what)
    if os.path.isdir(path):
        names = sorted(n for n in os.listdir(path) if not n.startswith(".") and n.lower().endswith(DATA_EXTENSIONS))
        if len(names) == 1:
            return os.path.join(path, names[0])
        if not names:
            fail('the folder "%s" (the %s) holds no .jsonl, .json, .csv or .tsv file.' % (path, what))
        fail('the folder "%s" (the %s) holds several data files (%s); give a folder with one of them, or the file '
             "itself." % (path, what, ", ".join(names)))
    if not os.path.isfile(path):
        fail('the %s "%s" does not exist; run the step that produces it first.' % (what, path))
    return path


def read_records(path, what):
    """Records (dicts) from JSON Lines, a JSON list, CSV or TSV, told apart by their first character.

    CSV values stay text exactly as written ("007" stays "007"), which matters for answers.
    """
    path = find_data_file(path, what)
    try:
        with open(path, "r", encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
    except UnicodeDecodeError:
        fail('the %s "%s" is not UTF-8 text; save it as UTF-8.' % (what, path))
    start = text.lstrip()[:1]
    if not start:
        fail('the %s "%s" is empty.' % (what, path))
    if start == "[":
        try:
            records = json.loads(text)
        except ValueError as exc:
            fail('the %s "%s" is not valid JSON (%s).' % (what, path, exc))
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            fail('the %s "%s" must be a JSON list of objects such as {"prompt": "...", "response": "..."}.' % (what, path))
    elif start == "{":
        records = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                fail('line %d of the %s "%s" is not valid JSON (%s); JSON Lines files hold one object per line.'
                     % (number, what, path, exc))
            if not isinstance(record, dict):
                fail('line %d of the %s "%s" is not a JSON object.' % (number, what, path))
            records.append(record)
    else:
        delimiter = "\t" if path.lower().endswith(".tsv") else ","
        reader = csv.DictReader(text.splitlines(True), delimiter=delimiter, strict=True)
        try:
            records = list(reader)
        except csv.Error as exc:
            fail('the %s "%s" is not a readable CSV table (%s).' % (what, path, exc))
        for number, record in enumerate(records, 2):
            if None in record:
                fail('line %d of the %s "%s" has more cells than the header; quote cells that contain "%s".'
                     % (number, what, path, "tab" if delimiter == "\t" else ","))
    if not records:
        fail('the %s "%s" holds no records.' % (what, path))
    return records


def field_text(record, field, number, what):
    """The text of one field of record ``number`` (1-based); numbers count as text, anything else stops."""
    value = record.get(field)
    if value is None:
        fail('record %d of the %s has no "%s"; its fields are %s.' % (number, what, field, ", ".join('"%s"' % k for k in record)))
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        fail('record %d of the %s: "%s" must be text, not %s.' % (number, what, field, type(value).__name__))
    return str(value)


def check_field(records, field, what, setting):
    """Stops with the fields the data does have when the first record lacks ``field``."""
    if field not in records[0]:
        fail('the %s has no field "%s"; its fields are %s. Set "%s" to one of them.'
             % (what, field, ", ".join('"%s"' % k for k in records[0]), setting))
