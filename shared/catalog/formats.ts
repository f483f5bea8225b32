/**
 * Port formats are dotted and hierarchical: an input that accepts "table" takes "table.csv" and
 * "table.tsv"; an input that accepts "table.csv" takes only that. The rule is one prefix check so
 * the canvas, the validator and the CLI always agree.
 */
export function isFormatCompatible(outputFormat: string, inputFormat: string): boolean {
  return inputFormat === ANY_FORMAT || outputFormat === inputFormat || outputFormat.startsWith(`${inputFormat}.`);
}

/** An input of this format takes any output (Download results, Report's attachments). */
export const ANY_FORMAT = 'any';

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
    any: 'any output',
    'sequence.fasta': 'a DNA sequence such as a reference genome (FASTA)',
    'reads.fastq': 'sequencing reads (FASTQ)',
    'reads.fastq.gz': 'compressed sequencing reads (FASTQ)',
    'alignment.bam': 'aligned reads (BAM)',
    'alignment.bam.sorted': 'aligned reads sorted by position, indexed (BAM)',
    'index.bai': 'an index of a BAM file',
    'index.tbi': 'an index of a VCF file',
    'variants.vcf': 'variant calls (VCF)',
    'variants.vcf.gz': 'compressed variant calls (VCF)',
    'qc.fastp.json': "fastp's read-quality measurements (JSON)",
    'qc.flagstat.json': 'read counts from samtools flagstat (JSON)',
    'image.nifti': 'a 3D image volume (NIfTI)',
    'mask.nifti': 'a label mask on an image grid (NIfTI)',
    dicom: 'DICOM images',
    'dicom.series': 'a DICOM series (folder of DICOM files)',
    'metadata.json': 'a de-identified description of an image (JSON)',
    images: 'a folder of pictures',
    'images.png': 'a folder of PNG pictures',
    'model.torch': 'a trained PyTorch model',
    folder: 'a folder of files',
    'model.sklearn-regressor': 'a trained scikit-learn regression model',
    'table.jsonl': 'a table (JSON Lines)',
    'model.hf': 'a Hugging Face model folder',
    'model.lora': 'a LoRA adapter for its base model',
  };
  return known[format] ?? `"${format}"`;
}
