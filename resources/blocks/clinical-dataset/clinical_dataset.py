#!/usr/bin/env python3
"""Fluxo block "Clinical dataset": writes a dataset that ships inside scikit-learn as a CSV table.

Nothing is downloaded: the datasets are files installed with scikit-learn.
"""
import argparse

import pandas as pd  # noqa: F401  (the datasets arrive as pandas frames: as_frame=True)
from sklearn.datasets import load_breast_cancer, load_diabetes

from fluxo_block import fail, write_atomically

def breast_cancer():
    data = load_breast_cancer(as_frame=True)
    frame = data.frame.copy()
    # scikit-learn encodes 0 = malignant, 1 = benign. Clinically the finding of interest is a
    # malignant tumour, so it becomes the positive class (1): precision and recall then answer
    # "how many cancers are caught", which is what a clinician reads them as.
    frame["target"] = (frame["target"] == 0).astype("int64")
    return frame


def diabetes_data():
    try:
        return load_diabetes(as_frame=True, scaled=False)  # original units (age in years, BMI, ...)
    except TypeError:  # scikit-learn older than 1.1 has no "scaled" option
        return load_diabetes(as_frame=True)


def diabetes():
    data = diabetes_data()
    frame = data.data.copy()
    progression = data.target
    frame["target"] = (progression > progression.median()).astype("int64")
    return frame


def diabetes_progression():
    data = diabetes_data()
    frame = data.data.copy()
    # The score as measured (25 to 346): a number to predict with Train regressor.
    frame["target"] = data.target.astype("float64")
    return frame


DATASETS = {"breast_cancer": breast_cancer, "diabetes": diabetes, "diabetes_progression": diabetes_progression}


def main():
    parser = argparse.ArgumentParser(description="Write a built-in clinical dataset as CSV.")
    parser.add_argument("--dataset", default="breast_cancer")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()

    name = args.dataset.strip() or "breast_cancer"
    if name not in DATASETS:
        fail('unknown dataset "%s"; choose one of: %s.' % (name, ", ".join(DATASETS)))
    if not args.output:
        fail("no output file name was given; this is a Fluxo bug, please report it.")

    frame = DATASETS[name]()
    print("Loaded %s: %d rows, %d feature columns" % (name, len(frame), frame.shape[1] - 1))
    if frame["target"].dtype.kind == "f":
        target = frame["target"]
        print("Target: a measurement from %g to %g (median %g)" % (target.min(), target.max(), target.median()))
    else:
        counts = frame["target"].value_counts().sort_index()
        print("Target classes: " + ", ".join("%s (%d rows)" % (k, v) for k, v in counts.items()))

    write_atomically(args.output, lambda tmp: frame.to_csv(tmp, index=False))
    print("Wrote " + args.output)


if __name__ == "__main__":
    main()
