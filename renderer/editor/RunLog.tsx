import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { RunRecord, StepRecord } from '../../shared/api';
import { getApi } from '../api/client';
import { decodeBase64Text } from '../results/metrics';
import { stateText } from '../run/format';
import { useSession } from '../state/hooks';
import { fileKey, sessionStore } from '../state/sessionStore';

const FOLLOW = '';
const ALL_TASKS = '';
/** Lines rendered at once; a longer log shows its tail first so it stays responsive. */
export const VISIBLE_LINES = 2000;

/** The lines one task printed, from a step's stream where each line is prefixed "[task i] ". */
export function taskLines(text: string, task: number): string {
  const prefix = `[task ${task}] `;
  return text
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .map((l) => l.slice(prefix.length))
    .join('\n');
}

/**
 * A log not streamed in this session (a past run, or a window opened after the run) is read from
 * the run folder once and kept with the other run files.
 */
function useLogFile(run: RunRecord | null, step: StepRecord | undefined, task: number | null, streamed: string): string | null {
  const path = step ? (task !== null ? step.log.replace('{task}', String(task)) : step.tasks ? null : step.log) : null;
  const wanted = !!run && !!path && !streamed && run.status !== 'running';
  const key = run && path ? fileKey(run.id, path) : '';
  const loaded = useSession((s) => (key ? s.files[key] : undefined));
  useEffect(() => {
    if (!wanted || !run || !path || sessionStore.getState().files[fileKey(run.id, path)]) return;
    sessionStore.getState().setFile(run.id, path, { state: 'loading' });
    void getApi()
      .runs.readFile(run.id, path)
      .then((r) => sessionStore.getState().setFile(run.id, path, r.ok ? { state: 'ok', file: r.value } : { state: 'error', message: r.error.message }));
  }, [wanted, run, path]);
  if (!wanted || loaded?.state !== 'ok') return null;
  return decodeBase64Text(loaded.file.base64);
}

/** Step logs as they stream in; follows the running step unless the user picks one. */
export function RunLog() {
  const { t } = useTranslation('run');
  const run = useSession((s) => s.run);
  const states = useSession((s) => s.steps);
  const [chosen, setChosen] = useState(FOLLOW);
  const [chosenTask, setChosenTask] = useState(ALL_TASKS);
  const [showAll, setShowAll] = useState(false);
  const parsed = (run?.steps ?? []).map((x) => states[x.id] ?? x);
  const followed = parsed.find((s) => s.state === 'running') ?? parsed.find((s) => s.state === 'failed') ?? [...parsed].reverse().find((s) => s.state === 'completed') ?? parsed[0];
  const stepId = chosen && parsed.some((s) => s.id === chosen) ? chosen : (followed?.id ?? '');
  const step = parsed.find((s) => s.id === stepId);
  const task = step?.tasks && chosenTask !== ALL_TASKS ? Number(chosenTask) : null;
  const streamed = useSession((s) => s.logs[stepId] ?? '');
  const fromFile = useLogFile(run, step, task, streamed);
  const text = useMemo(() => {
    if (fromFile !== null) return fromFile;
    return task !== null ? taskLines(streamed, task) : streamed;
  }, [fromFile, streamed, task]);
  const lines = useMemo(() => text.split('\n'), [text]);
  const hidden = showAll ? 0 : Math.max(0, lines.length - VISIBLE_LINES);
  const shown = hidden ? lines.slice(hidden).join('\n') : text;

  const pre = useRef<HTMLPreElement>(null);
  const [atBottom, setAtBottom] = useState(true);
  const following = useRef(true);
  const selectId = useId();
  const taskId = useId();

  useEffect(() => {
    const el = pre.current;
    if (el && following.current) el.scrollTop = el.scrollHeight;
  }, [shown, stepId]);

  const jumpToEnd = () => {
    const el = pre.current;
    following.current = true;
    setAtBottom(true);
    if (el) el.scrollTop = el.scrollHeight;
  };

  if (parsed.length === 0) return <p className="panel-empty">{t('log.empty')}</p>;

  return (
    <div className="run-log">
      <div className="run-log-bar">
        <label htmlFor={selectId}>{t('log.step')}</label>
        <select
          id={selectId}
          value={chosen}
          onChange={(e) => {
            setChosen(e.target.value);
            setChosenTask(ALL_TASKS);
            setShowAll(false);
          }}
        >
          <option value={FOLLOW}>{followed ? t('log.followNamed', { step: followed.label }) : t('log.follow')}</option>
          {parsed.map((s) => (
            <option key={s.id} value={s.id}>
              {s.label} — {stateText(s, s.cached)}
            </option>
          ))}
        </select>
        {step?.tasks && (
          <>
            <label htmlFor={taskId}>{t('log.task')}</label>
            <select id={taskId} value={chosenTask} onChange={(e) => setChosenTask(e.target.value)}>
              <option value={ALL_TASKS}>{t('log.allTasks')}</option>
              {step.tasks.map((x) => (
                <option key={x.index} value={String(x.index)}>
                  {t('log.taskOption', { index: x.index, state: stateText(x) })}
                </option>
              ))}
            </select>
          </>
        )}
        <span className="bar-spacer" />
        {!atBottom && (
          <button type="button" className="button small" onClick={jumpToEnd}>
            {t('log.jumpToEnd')}
          </button>
        )}
      </div>
      {hidden > 0 && (
        <p className="log-earlier">
          {t('log.hiddenLines', { count: hidden })}{' '}
          <button type="button" className="link-button" onClick={() => setShowAll(true)}>
            {t('log.showAll')}
          </button>
        </p>
      )}
      <pre
        ref={pre}
        className="log-text"
        tabIndex={0}
        data-testid="run-log-text"
        aria-label={t('log.label', { step: step?.label ?? t('log.theStep') })}
        onScroll={(e) => {
          const el = e.currentTarget;
          const bottom = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
          following.current = bottom;
          if (bottom !== atBottom) setAtBottom(bottom);
        }}
      >
        {shown || <span className="muted">{t('log.noOutput')}</span>}
      </pre>
    </div>
  );
}
