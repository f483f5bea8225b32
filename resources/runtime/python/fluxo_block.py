"""Fluxo's shared helpers for Python blocks: ``import fluxo_block``.

What it is
    The small pieces every block script needs the same way: stopping with a plain error message,
    writing outputs atomically, reading settings (numbers, whole numbers, yes/no) and input tables,
    and naming columns in messages. Written once here instead of once per block.

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
import os
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
