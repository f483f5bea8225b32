#!/usr/bin/env python3
"""Fluxo block "Evaluate answers": scores generated answers against reference answers.

Three simple, well-known measures, each a share from 0 to 1: exact match and token F1 as in the
SQuAD benchmark (after lower-casing and removing punctuation, articles and extra spaces), and whether
the answer contains the reference. A record may give several acceptable references as a JSON list;
the best-matching one counts. Standard library only, so it runs anywhere.
"""
import argparse
import csv
import json
import re
import unicodedata

from fluxo_block import check_field, fail, field_text, parse_boolean, read_records, write_atomically, write_text

ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize(text):
    """SQuAD-style: lower case, no punctuation (any script), no English articles, single spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in text)
    return " ".join(ARTICLES.sub(" ", text).split())


def tokens(text, normalized):
    return (normalize(text) if normalized else text.strip()).split()


def exact_match(answer, reference, normalized):
    if normalized:
        return normalize(answer) == normalize(reference)
    return answer.strip() == reference.strip()


def token_f1(answer, reference, normalized):
    """Harmonic mean of the shares of shared words in the answer and in the reference (SQuAD's F1)."""
    a, r = tokens(answer, normalized), tokens(reference, normalized)
    if not a or not r:
        return float(a == r)
    common = 0
    remaining = list(r)
    for word in a:
        if word in remaining:
            remaining.remove(word)
            common += 1
    if common == 0:
        return 0.0
    precision, recall = common / len(a), common / len(r)
    return 2 * precision * recall / (precision + recall)


def contains_reference(answer, reference, normalized):
    """Whether the reference appears in the answer as whole words ("The liver." contains "liver")."""
    a, r = tokens(answer, normalized), tokens(reference, normalized)
    if not r:
        return not a
    return (" " + " ".join(r) + " ") in (" " + " ".join(a) + " ")


def references_of(record, field, number):
    """One reference, or several acceptable ones given as a JSON list."""
    value = record.get(field)
    if isinstance(value, list):
        if not value:
            fail('record %d of the answer file has an empty list of references in "%s".' % (number, field))
        return [field_text({field: v}, field, number, "answer file") for v in value]
    return [field_text(record, field, number, "answer file")]


def score(records, answer_field, reference_field, normalized):
    check_field(records, answer_field, "answer file", "Answer field")
    check_field(records, reference_field, "answer file", "Reference field")
    rows = []
    for number, record in enumerate(records, 1):
        answer = field_text(record, answer_field, number, "answer file")
        refs = references_of(record, reference_field, number)
        em = max(exact_match(answer, r, normalized) for r in refs)
        f1 = max(token_f1(answer, r, normalized) for r in refs)
        contains = max(contains_reference(answer, r, normalized) for r in refs)
        rows.append({"row": number, "reference": " | ".join(refs), "answer": answer,
                     "exact_match": int(em), "token_f1": round(f1, 4), "contains_reference": int(contains)})
    n = len(rows)
    metrics = {
        "exact_match": round(sum(r["exact_match"] for r in rows) / n, 4),
        "token_f1": round(sum(r["token_f1"] for r in rows) / n, 4),
        "contains_reference": round(sum(r["contains_reference"] for r in rows) / n, 4),
        "n_examples": n,
        "empty_answers": sum(1 for r in rows if not r["answer"].strip()),
        "answer_field": answer_field,
        "reference_field": reference_field,
        "normalized": normalized,
    }
    return metrics, rows


def write_scores(path, rows):
    def write(tmp):
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)

    write_atomically(path, write)


def main():
    parser = argparse.ArgumentParser(description="Score generated answers against references.")
    parser.add_argument("--answers", default="")
    parser.add_argument("--answer-field", default="generated")
    parser.add_argument("--reference-field", default="response")
    parser.add_argument("--normalize", default="true")
    parser.add_argument("--metrics", required=True)
    parser.add_argument("--scores", required=True)
    args = parser.parse_args()

    normalized = parse_boolean(args.normalize, "Ignore case and punctuation", True)
    records = read_records(args.answers, "answer file")
    metrics, rows = score(records, args.answer_field.strip(), args.reference_field.strip(), normalized)
    write_text(args.metrics, json.dumps(metrics, indent=2, ensure_ascii=False) + "\n")
    write_scores(args.scores, rows)
    print("Scored %d answers: exact match %.4f, token F1 %.4f, contains the reference %.4f"
          % (metrics["n_examples"], metrics["exact_match"], metrics["token_f1"], metrics["contains_reference"]))


if __name__ == "__main__":
    main()
