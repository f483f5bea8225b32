/**
 * Port formats are dotted and hierarchical: an input that accepts "table" takes "table.csv" and
 * "table.tsv"; an input that accepts "table.csv" takes only that. The rule is one prefix check so
 * the canvas, the validator and the CLI always agree.
 */
export function isFormatCompatible(outputFormat: string, inputFormat: string): boolean {
  return outputFormat === inputFormat || outputFormat.startsWith(`${inputFormat}.`);
}

/** Plain words for a format, for messages like "Split train/test needs a table (CSV)". */
export function describeFormat(format: string): string {
  const known: Record<string, string> = {
    'table.csv': 'a table (CSV)',
    table: 'a table',
    'model.sklearn': 'a trained scikit-learn model',
    model: 'a trained model',
    'metrics.json': 'metrics (JSON)',
    'predictions.csv': 'predictions (CSV)',
    'figure.png': 'a figure (PNG)',
    'report.html': 'a report (HTML)',
    'evaluation.folder': 'an evaluation (metrics and figures)',
  };
  return known[format] ?? `"${format}"`;
}
