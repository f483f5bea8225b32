import type { FailureExplanation, StepRecord, TaskRecord } from '../../shared/api';
import { t } from '../i18n';

/** Lines of the log kept as evidence when the backend gave no explanation. */
const EVIDENCE_LINES = 6;

/** The failed task of an array step, when it is one. */
export function failedTask(step: StepRecord): TaskRecord | null {
  return step.tasks?.find((x) => x.state === 'failed') ?? null;
}

/**
 * What went wrong in a failed step: the backend's explanation (cluster runs classify failures),
 * else a plain statement with the last lines of its log, and "rerun from here" as the way on.
 */
export function explanationOf(step: StepRecord, log: string): FailureExplanation {
  const task = failedTask(step);
  const given = task?.explanation ?? step.explanation;
  if (given) return given;
  const code = task ? task.exitCode : step.exitCode;
  const detail = task?.detail ?? step.detail;
  const lines = log
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '');
  const evidence = [
    ...(code !== null ? [t('run:failure.exitCode', { code })] : []),
    ...(detail ? [detail] : []),
    ...lines.slice(-EVIDENCE_LINES),
  ];
  // The line most likely to say why, shown without opening the evidence.
  const telling = [...lines].reverse().find((l) => /error|exception|not found|does not exist|no such|denied|killed/i.test(l));
  return {
    kind: 'program-error',
    title: task ? t('run:failure.taskTitle', { step: step.label, task: task.index }) : t('run:failure.title', { step: step.label }),
    message: telling ? `${t('run:failure.printed', { line: telling.trim() })} ${t('run:failure.messageAfterLine')}` : t('run:failure.message'),
    evidence,
    action: { kind: 'rerun-from-step', label: t('run:failure.rerunFromHere') },
  };
}
