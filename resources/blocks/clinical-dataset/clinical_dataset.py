#!/usr/bin/env python3
"""Fluxo block "Clinical dataset": writes a dataset that ships inside scikit-learn as a CSV table.

Nothing is downloaded: both datasets are files installed with scikit-learn.
"""
import argparse

import pandas as pd
from sklearn.datasets import load_breast_cancer, load_diabetes

from fluxo_block import fail, write_atomically

DATASETS = ("breast_cancer", "diabetes")


def breast_cancer():
    data = load_breast_cancer(as_frame=True)
    frame = data.frame.copy()
    # scikit-learn encodes 0 = malignant, 1 = benign. Clinically the finding of interest is a
    # malignant tumour, so it becomes the positive class (1): precision and recall then answer
    # "how many cancers are caught", which is what a clinician reads them as.
    frame["target"] = (frame["target"] == 0).astype("int64")
    return frame


def diabetes():
    try:
        data = load_diabetes(as_frame=True, scaled=False)  # original units (age in years, BMI, ...)
    except TypeError:  # scikit-learn older than 1.1 has no "scaled" option
        data = load_diabetes(as_frame=True)
    frame = data.data.copy()
    progression = data.target
    frame["target"] = (progression > progression.median()).astype("int64")
    return frame


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

    frame = breast_cancer() if name == "breast_cancer" else diabetes()
    counts = frame["target"].value_counts().sort_index()
    print("Loaded %s: %d rows, %d feature columns" % (name, len(frame), frame.shape[1] - 1))
    print("Target classes: " + ", ".join("%s (%d rows)" % (k, v) for k, v in counts.items()))

    write_atomically(args.output, lambda tmp: frame.to_csv(tmp, index=False))
    print("Wrote " + args.output)


if __name__ == "__main__":
    main()
