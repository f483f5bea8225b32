import { useEffect, useId, useLayoutEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useAppStore } from '../state/appStore';
import { TOUR_STEPS, useTour } from './tourState';
import '../styles/start.css';

interface Box {
  top: number;
  left: number;
  width: number;
  height: number;
}

function findTarget(selectors: readonly string[]): HTMLElement | null {
  for (const s of selectors) {
    const el = document.querySelector<HTMLElement>(s);
    if (el && el.getClientRects().length > 0) return el;
  }
  return null;
}

/** Where the callout goes: beside the highlighted element, inside the window. */
function calloutPosition(box: Box | null, size: { w: number; h: number }): { top: number; left: number } {
  const vw = window.innerWidth;
  const vh = window.innerHeight;
  const margin = 12;
  if (!box) return { top: Math.max(margin, (vh - size.h) / 2), left: Math.max(margin, (vw - size.w) / 2) };
  const clampTop = (t: number) => Math.min(Math.max(margin, t), Math.max(margin, vh - size.h - margin));
  const clampLeft = (l: number) => Math.min(Math.max(margin, l), Math.max(margin, vw - size.w - margin));
  // A small control (a toolbar button) gets the callout below it, so its neighbours stay visible.
  if (box.height < 80 && box.top + box.height + margin + size.h <= vh) return { top: box.top + box.height + margin, left: clampLeft(box.left + box.width - size.w) };
  if (box.left + box.width + margin + size.w <= vw) return { top: clampTop(box.top + 16), left: box.left + box.width + margin };
  if (box.left - margin - size.w >= 0) return { top: clampTop(box.top + 16), left: box.left - margin - size.w };
  if (box.top + box.height + margin + size.h <= vh) return { top: box.top + box.height + margin, left: clampLeft(box.left + box.width - size.w) };
  return { top: clampTop(box.top + box.height / 2 - size.h / 2), left: clampLeft(box.left + box.width / 2 - size.w / 2) };
}

/** The outline around the element, kept inside the window so no side of it is cut off. */
function ringStyle(box: Box): { top: number; left: number; width: number; height: number } {
  const top = Math.max(2, box.top - 4);
  const left = Math.max(2, box.left - 4);
  const right = Math.min(window.innerWidth - 2, box.left + box.width + 4);
  const bottom = Math.min(window.innerHeight - 2, box.top + box.height + 4);
  return { top, left, width: Math.max(0, right - left), height: Math.max(0, bottom - top) };
}

/**
 * The first-run tour: four callouts over the real editor (palette, canvas, inspector, Run). It is a
 * non-modal dialog: the editor stays usable, focus moves to each callout so screen readers read
 * it, Escape skips, and the element it talks about is outlined (and named in the text).
 */
export function Tour() {
  const { t } = useTranslation('start');
  const step = useTour((s) => s.step);
  const { next, back, skip } = useTour.getState();
  const screen = useAppStore((s) => s.screen);
  const [box, setBox] = useState<Box | null>(null);
  const ref = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const bodyId = useId();
  const [size, setSize] = useState({ w: 340, h: 200 });
  const active = step !== null && screen === 'editor';
  const current = step !== null ? TOUR_STEPS[step] : undefined;

  useLayoutEffect(() => {
    if (!active || !current) return;
    const measure = () => {
      const el = findTarget(current.targets);
      const r = el?.getBoundingClientRect();
      setBox(r ? { top: r.top, left: r.left, width: r.width, height: r.height } : null);
      if (ref.current) setSize({ w: ref.current.offsetWidth, h: ref.current.offsetHeight });
    };
    measure();
    window.addEventListener('resize', measure);
    return () => window.removeEventListener('resize', measure);
  }, [active, current]);

  useEffect(() => {
    if (active) ref.current?.querySelector<HTMLElement>('h2')?.focus();
  }, [active, step]);

  if (!active || !current || step === null) return null;
  const last = step === TOUR_STEPS.length - 1;
  const pos = calloutPosition(box, size);

  return (
    <>
      {box && <div className="tour-highlight" aria-hidden="true" style={ringStyle(box)} />}
      <div
        ref={ref}
        className="tour-callout"
        role="dialog"
        aria-modal="false"
        aria-labelledby={titleId}
        aria-describedby={bodyId}
        data-tour-step={current.id}
        style={{ top: pos.top, left: pos.left }}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.stopPropagation();
            skip();
          }
        }}
      >
        <p className="tour-progress">{t('tour.progress', { n: step + 1, total: TOUR_STEPS.length })}</p>
        <h2 id={titleId} className="tour-title" tabIndex={-1}>
          {t(`tour.${current.id}.title`)}
        </h2>
        <p id={bodyId} className="tour-body">
          {t(`tour.${current.id}.body`)}
        </p>
        <div className="tour-actions">
          <button type="button" className="button subtle" onClick={skip}>
            {t('tour.skip')}
          </button>
          <span className="tour-nav">
            {step > 0 && (
              <button type="button" className="button" onClick={back}>
                {t('tour.back')}
              </button>
            )}
            <button type="button" className="button primary" onClick={next}>
              {last ? t('tour.finish') : t('tour.next')}
            </button>
          </span>
        </div>
      </div>
    </>
  );
}
