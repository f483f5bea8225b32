/**
 * Why a step failed on a cluster, in words a biologist understands: what happened, how we know
 * (Slurm's final state and exit code, and the few log lines that show it), and one thing to do.
 * Pure: the caller brings Slurm's answer and the end of the step's logs.
 *
 * The order of the checks matters: Slurm's own verdict (out of memory, time limit, node failure,
 * preemption, account problems) comes first because it is certain; then the logs, most specific
 * first (a CUDA out-of-memory error also says "out of memory"; a missing container also ends in
 * "FATAL"); a program's own error is what is left.
 */
import type { FailureExplanation, FailureKind, SuggestedAction } from '../../../shared/api';
import { reasonMeaning, slurmState } from './states';

export interface FailureFacts {
  /** The step's name as the user sees it ("Train classifier (task 2)"). */
  stepLabel: string;
  /** Slurm's final state ("OUT_OF_MEMORY", "CANCELLED by 0"), or null when Slurm no longer knew the job. */
  state: string | null;
  exitCode: number | null;
  /** The signal that ended it (number or name), when known. */
  signal: number | string | null;
  /** Slurm's reason code (InvalidAccount, DependencyNeverSatisfied, ...), when known. */
  reason: string | null;
  /** The last ~200 lines of the step's .err and .out. */
  logTail: string[];
  resources: { cpus: number; memoryMb: number; timeMinutes: number; gpus: number; partition: string | null };
  partitionLimits?: { maxMemoryMb: number | null; maxTimeMinutes: number | null } | null;
  /** The step that failed before this one, when it never ran because of it. */
  upstreamLabel?: string | null;
  /** The uid of the user running Fluxo, to tell "you cancelled it" from "someone else did". */
  ownUid?: string | number | null;
}

interface Match {
  lines: string[];
}

/** Finds the lines that match any pattern, last ones first (the end of a log says most), up to `max`. */
function find(lines: string[], patterns: RegExp[], max = 3): Match | null {
  const hits: string[] = [];
  for (let i = lines.length - 1; i >= 0 && hits.length < max; i--) {
    const line = lines[i]!;
    if (patterns.some((p) => p.test(line))) hits.unshift(line);
  }
  return hits.length > 0 ? { lines: hits } : null;
}

const OOM_LOG = [
  /oom[-_ ]kill/i,
  /Detected \d+ oom-kill event/i,
  /exceeded memory limit/i,
  /Out Of Memory/,
  /^\s*MemoryError\b/,
  /numpy\.core\._exceptions\._ArrayMemoryError|Unable to allocate [\d.]+ [KMGT]?i?B/,
  /std::bad_alloc/,
  /cannot allocate vector of size/,
];
const TIME_LOG = [/DUE TO TIME LIMIT/];
const CUDA_OOM_LOG = [/CUDA out of memory/i, /torch\.cuda\.OutOfMemoryError/, /CUBLAS_STATUS_ALLOC_FAILED/, /cudaErrorMemoryAllocation|CUDA_ERROR_OUT_OF_MEMORY/];
const MODULE_LOG = [
  /Lmod has detected the following error/,
  /The following module\(s\) are unknown/,
  /module: command not found/,
  /Unable to locate a modulefile for/,
  /ERROR: Unable to locate a modulefile/,
];
const PY_MODULE_LOG = [/ModuleNotFoundError: No module named/, /ImportError: No module named/];
const COMMAND_LOG = [/: command not found\s*$/, /: No such file or directory\s*$/];
const CONTAINER_LOG = [
  /^(FATAL|ERROR):\s.*(failed to get image|no such host|could not open image|image file does not exist|while making image|failed to get checksum|unable to (pull|fetch|handle)|While pulling|error fetching image|manifest unknown)/i,
  /(apptainer|singularity): command not found/,
  /dial tcp: lookup .* no such host/,
];
const DISK_LOG = [/No space left on device/i, /Disk quota exceeded/i, /\[Errno 28\]/, /\[Errno 122\]/];
const ACCOUNT_LOG = [
  /Invalid account or account\/partition combination specified/,
  /Invalid qos specification/i,
  /Job violates accounting\/QOS policy/,
  /AssocMaxSubmitJobLimit|QOSMaxSubmitJobPerUserLimit/,
];
const ERROR_LOG = [
  /^Traceback \(most recent call last\):/,
  /^\w+(\.\w+)*(Error|Exception|Interrupt)\b(:|$)/,
  /\b(error|Error|ERROR)\b\s*[:!]/,
  /^Error in /,
  /Segmentation fault|core dumped/,
  /^Killed\s*$/,
  /\bAborted\b/,
  /\bFATAL\b/,
];

/** Doubles a request, but never past the partition's limit (a job asking for more is refused). */
function doubled(value: number, limit: number | null | undefined): number {
  return limit === null || limit === undefined ? value * 2 : Math.min(value * 2, limit);
}

function minutesText(minutes: number): string {
  if (minutes % 1440 === 0) return `${minutes / 1440} day${minutes === 1440 ? '' : 's'}`;
  if (minutes >= 120 && minutes % 60 === 0) return `${minutes / 60} hours`;
  return `${minutes} minutes`;
}

function memoryText(mb: number): string {
  return mb >= 1024 && mb % 1024 === 0 ? `${mb / 1024} GB` : `${mb} MB`;
}

/** The last meaningful lines of a program's own error: the exception of the last traceback, else the last "error:" lines. */
function programErrorLines(lines: string[]): string[] {
  const trimmed = lines.map((l) => l.replace(/\s+$/, ''));
  const tb = trimmed.map((l, i) => (/^Traceback \(most recent call last\):/.test(l) ? i : -1)).filter((i) => i >= 0).pop();
  if (tb !== undefined) {
    // The exception line is the first line after the traceback's indented frames.
    for (let i = tb + 1; i < trimmed.length; i++) {
      const l = trimmed[i]!;
      if (l !== '' && !/^\s/.test(l)) {
        const frame = [...trimmed.slice(tb + 1, i)].reverse().find((x) => /^\s+File "/.test(x));
        return frame ? [frame.trim(), l] : [l];
      }
    }
  }
  return find(trimmed, ERROR_LOG.slice(1), 3)?.lines ?? trimmed.filter((l) => l.trim() !== '').slice(-2);
}

/** Evidence: Slurm's word first, then at most five log lines, each cut to a readable length. */
function evidence(facts: FailureFacts, lines: string[]): string[] {
  const state = facts.state ?? 'unknown (Slurm no longer knows the job)';
  const code = facts.exitCode === null ? 'unknown' : `${facts.exitCode}${facts.signal !== null && facts.signal !== undefined ? ` (signal ${facts.signal})` : ''}`;
  const head = `Slurm state: ${state}; exit code: ${code}${facts.reason ? `; reason: ${facts.reason}` : ''}`;
  const seen = new Set<string>();
  const logLines: string[] = [];
  for (const l of lines) {
    const t = l.trim();
    if (t === '' || seen.has(t)) continue;
    seen.add(t);
    logLines.push(t.length > 300 ? `${t.slice(0, 297)}...` : t);
  }
  return [head, ...logLines.slice(-5)];
}

function result(kind: FailureKind, title: string, message: string, ev: string[], action: SuggestedAction | null): FailureExplanation {
  return { kind, title, message, evidence: ev, action };
}

const ACCOUNT_REASON = /^(InvalidAccount|InvalidQOS|AccountNotAllowed|QOSNotAllowed|(Assoc|QOS)(Grp|Max|Min)\w*|Association\w*Limit|QOS\w*(Limit|Threshold))$/;

export function explainFailure(facts: FailureFacts): FailureExplanation {
  const label = facts.stepLabel;
  const lines = facts.logTail;
  const meaning = facts.state ? slurmState(facts.state) : null;
  const state = meaning?.state ?? null;
  const reason = facts.reason?.trim() || null;
  const limits = facts.partitionLimits ?? null;
  const res = facts.resources;
  const where = res.partition ? `the "${res.partition}" partition` : 'its partition';

  // --- Slurm's own verdicts -------------------------------------------------------------------
  const oomLog = find(lines, OOM_LOG);
  const cudaLog = find(lines, CUDA_OOM_LOG);
  const killed137 = facts.exitCode === 137 ? find(lines, [/^Killed\s*$/, /\bKilled\b/]) : null;
  if (state === 'OUT_OF_MEMORY' || ((oomLog || killed137) && !cudaLog)) {
    const ev = evidence(facts, (oomLog ?? killed137)?.lines ?? []);
    const next = doubled(res.memoryMb, limits?.maxMemoryMb);
    if (limits?.maxMemoryMb != null && res.memoryMb >= limits.maxMemoryMb) {
      return result(
        'out-of-memory',
        `${label} ran out of memory`,
        `The step used all the memory it asked for (${memoryText(res.memoryMb)}), which is already the most ${where} gives one job. Use a partition with bigger-memory nodes, or give the step less data at once (a smaller input or fewer samples per task).`,
        ev,
        { kind: 'edit-pipeline', label: 'Choose a partition with more memory' },
      );
    }
    const capped = next < res.memoryMb * 2;
    return result(
      'out-of-memory',
      `${label} ran out of memory`,
      `The step needed more memory than the ${memoryText(res.memoryMb)} it asked for, so the cluster stopped it. Retrying with ${capped ? `${memoryText(next)} (the most ${where} allows)` : 'twice as much'} usually fixes this.`,
      ev,
      { kind: 'retry-with-resources', label: capped ? `Retry with ${memoryText(next)} of memory` : 'Retry with 2x memory', resources: { memoryMb: next } },
    );
  }

  const timeLog = find(lines, TIME_LOG);
  if (state === 'TIMEOUT' || state === 'DEADLINE' || timeLog) {
    const ev = evidence(facts, timeLog?.lines ?? []);
    if (limits?.maxTimeMinutes != null && res.timeMinutes >= limits.maxTimeMinutes) {
      return result(
        'time-limit',
        `${label} ran out of time`,
        `The step was still working when its time (${minutesText(res.timeMinutes)}) ran out, and that is already the longest ${where} allows. Use a partition with a longer time limit, or split the work (fewer samples per task, more tasks).`,
        ev,
        { kind: 'edit-pipeline', label: 'Choose a partition with a longer time limit' },
      );
    }
    const next = doubled(res.timeMinutes, limits?.maxTimeMinutes);
    const capped = next < res.timeMinutes * 2;
    return result(
      'time-limit',
      `${label} ran out of time`,
      `The step was still working when the ${minutesText(res.timeMinutes)} it asked for ran out, so the cluster stopped it. Retrying with ${capped ? `${minutesText(next)} (the most ${where} allows)` : 'twice the time'} usually fixes this.`,
      ev,
      { kind: 'retry-with-resources', label: capped ? `Retry with ${minutesText(next)}` : 'Retry with 2x time', resources: { timeMinutes: next } },
    );
  }

  if (state === 'NODE_FAIL' || state === 'BOOT_FAIL') {
    return result(
      'node-failure',
      `${label} stopped because a computer of the cluster failed`,
      `The node the step ran on ${state === 'BOOT_FAIL' ? 'did not start up' : 'stopped working'} while the step was running. This is not a problem with your pipeline; running the step again normally works.`,
      evidence(facts, []),
      { kind: 'retry', label: 'Retry this step' },
    );
  }

  if (state === 'PREEMPTED') {
    return result(
      'preempted',
      `${label} was stopped to make room for other work`,
      'The cluster stopped the step to give its place to jobs with a higher priority (this happens on partitions that allow it). Nothing is wrong with the step; running it again normally works.',
      evidence(facts, []),
      { kind: 'retry', label: 'Retry this step' },
    );
  }

  const accountLog = find(lines, ACCOUNT_LOG);
  if ((reason && ACCOUNT_REASON.test(reason.split(/[,\s]/)[0] ?? '')) || accountLog) {
    const what = reason ? (reasonMeaning(reason)?.text ?? reason) : 'Slurm refused the account or QoS it was submitted with';
    return result(
      'qos-or-account-limit',
      `${label} could not run under your account or QoS`,
      `Slurm says: ${what}. Check the account (project) and QoS in the run settings; your cluster's support team can tell you which ones you may use and how many hours are left.`,
      evidence(facts, accountLog?.lines ?? []),
      { kind: 'edit-pipeline', label: 'Change the account or QoS' },
    );
  }

  if (reason === 'DependencyNeverSatisfied' || facts.upstreamLabel) {
    const up = facts.upstreamLabel ? `"${facts.upstreamLabel}"` : 'a step before it';
    return result(
      'upstream-failed',
      `${label} did not run because ${up} failed`,
      `This step needs the results of ${up}, which failed, so the cluster never started it. Fix that step first; rerunning from it runs this one too.`,
      evidence(facts, []),
      { kind: 'rerun-from-step', label: 'Rerun from the failed step' },
    );
  }

  // --- What the logs show -----------------------------------------------------------------------
  if (cudaLog) {
    return result(
      'cuda-out-of-memory',
      `${label} ran out of GPU memory`,
      "The model or the batch of data did not fit in the GPU's own memory (more memory for the job does not help here). Use a smaller batch size (or smaller images or a smaller model) in the step's settings, then rerun.",
      evidence(facts, cudaLog.lines),
      { kind: 'edit-pipeline', label: 'Use a smaller batch size' },
    );
  }

  const containerLog = find(lines, CONTAINER_LOG);
  if (containerLog) {
    const network = containerLog.lines.some((l) => /no such host|dial tcp|i\/o timeout|connection refused/i.test(l));
    return result(
      'container-missing',
      `${label} could not start its software container`,
      network
        ? 'The container image had to be downloaded, but the computers that run jobs cannot reach the internet. Download (pull) the image once on a login node into the folder the cluster profile names, or ask the support team to provide it.'
        : 'The container image the step uses was not found or could not be opened on the cluster. Check that the image file exists where the cluster profile says, or ask the support team to provide it.',
      evidence(facts, containerLog.lines),
      { kind: 'contact-support', label: 'Provide the container image' },
    );
  }

  const moduleLog = find(lines, MODULE_LOG);
  if (moduleLog) {
    return result(
      'module-missing',
      `${label} needs software the cluster does not have under that name`,
      "The step asked the cluster's module system for software that does not exist there (or the module system itself is missing). Check the module names in the cluster profile (`module avail` on the cluster lists them), or ask the support team which module provides it.",
      evidence(facts, moduleLog.lines),
      { kind: 'edit-pipeline', label: 'Fix the software modules' },
    );
  }

  const diskLog = find(lines, DISK_LOG);
  if (diskLog) {
    const quota = diskLog.lines.some((l) => /quota|Errno 122/i.test(l));
    return result(
      'disk-full',
      `${label} ran out of disk space`,
      quota
        ? "The step could not write its results: you have used all the disk space (quota) you are allowed in that folder. Delete old runs or results you no longer need on the cluster (or ask for more space), then rerun from this step."
        : 'The step could not write its results: the disk it writes to is full. Free space in the work folder on the cluster (old runs, temporary files), then rerun from this step.',
      evidence(facts, diskLog.lines),
      { kind: 'rerun-from-step', label: 'Rerun from this step' },
    );
  }

  const pyModule = find(lines, PY_MODULE_LOG, 1);
  const command = facts.exitCode === 127 ? find(lines, COMMAND_LOG, 2) : null;
  if (pyModule || command) {
    const missing = pyModule ? /No module named '?([\w.]+)'?/.exec(pyModule.lines[0]!)?.[1] : /^(?:.*?:\s)?([^:\s]+): command not found/.exec(command!.lines[0]!)?.[1];
    return result(
      'module-missing',
      `${label} needs software that is not installed on the cluster`,
      pyModule
        ? `The step's Python could not find the package "${missing ?? '?'}". Choose an environment for the step that has it (a module or a container from the cluster profile), or ask the support team to install it.`
        : `The step could not find the program "${missing ?? '?'}". Load the module that provides it (see the cluster profile), or ask the support team.`,
      evidence(facts, (pyModule ?? command)!.lines),
      { kind: 'edit-pipeline', label: 'Choose an environment that has it' },
    );
  }

  if (meaning?.stepState === 'cancelled') {
    const uid = meaning.cancelledBy;
    const own = facts.ownUid !== undefined && facts.ownUid !== null && uid !== null && String(facts.ownUid) === uid;
    const who = uid === null ? 'someone (you, Fluxo on your behalf, or an administrator)' : uid === '0' ? "the cluster's administrators" : own ? 'you (or Fluxo on your behalf)' : `the user with id ${uid} (often an administrator)`;
    return result(
      'cancelled',
      `${label} was cancelled`,
      `The step was stopped by ${who} before it finished. If that was not intended, run it again.`,
      evidence(facts, []),
      { kind: 'retry', label: 'Run this step again' },
    );
  }

  // --- The program's own error --------------------------------------------------------------------
  const errorLines = programErrorLines(lines);
  return result(
    'program-error',
    `${label} stopped with an error`,
    `The step's program ended with ${facts.exitCode === null ? 'an error' : `exit code ${facts.exitCode}`}. The lines below, from its log, are the last thing it said; they usually name the input or setting at fault. Fix that, then rerun from this step.`,
    evidence(facts, errorLines),
    { kind: 'rerun-from-step', label: 'Rerun from this step' },
  );
}
