import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { useStore } from 'zustand';
import type { BlockDefinition } from '../../../shared/catalog';
import { stepName } from '../../../shared/validate';
import { DialogFrame } from '../../components/DialogFrame';
import { useAppStore } from '../../state/appStore';
import type { DocumentStore } from '../../state/documentStore';
import type { PortAnchor } from './canvasUi';
import { canvasUi } from './canvasUi';

export interface PortChoice {
  step: string;
  port: string;
  label: string;
}

/** Every port of another step this port can connect to, named "Step › Port (format)". */
export function compatiblePorts(store: DocumentStore, anchor: PortAnchor, blocksById: ReadonlyMap<string, BlockDefinition>): PortChoice[] {
  const { doc, checkConnect } = store.getState();
  const out: PortChoice[] = [];
  for (const step of doc.steps) {
    if (step.id === anchor.step) continue;
    const block = blocksById.get(step.type);
    if (!block) continue;
    const ports = anchor.direction === 'out' ? block.inputs : block.outputs;
    for (const p of ports) {
      const here = { step: anchor.step, port: anchor.port };
      const there = { step: step.id, port: p.id };
      const ok = anchor.direction === 'out' ? checkConnect(here, there).ok : checkConnect(there, here).ok;
      if (ok) out.push({ step: step.id, port: p.id, label: `${stepName(step, block)} › ${p.title} (${p.format})` });
    }
  }
  return out;
}

/** The keyboard way to wire two ports: a list of the compatible ports; choosing one connects. */
export function ConnectMenu({ store }: { store: DocumentStore }) {
  const { t } = useTranslation('canvas');
  const anchor = useStore(canvasUi, (s) => s.connectFrom);
  const blocksById = useAppStore((s) => s.blocksById);
  const toast = useAppStore((s) => s.toast);
  const choices = useMemo(() => (anchor ? compatiblePorts(store, anchor, blocksById) : []), [anchor, store, blocksById]);
  if (!anchor) return null;
  const step = store.getState().doc.steps.find((s) => s.id === anchor.step);
  const block = step && blocksById.get(step.type);
  const port = (anchor.direction === 'out' ? block?.outputs : block?.inputs)?.find((p) => p.id === anchor.port);
  const name = `${step ? stepName(step, block) : anchor.step} › ${port?.title ?? anchor.port}`;
  const close = () => canvasUi.getState().setConnectFrom(null);
  const choose = (c: PortChoice) => {
    const here = { step: anchor.step, port: anchor.port };
    const there = { step: c.step, port: c.port };
    const check = anchor.direction === 'out' ? store.getState().connect(here, there) : store.getState().connect(there, here);
    close();
    if (!check.ok) toast({ kind: 'error', title: t('cannotConnect'), message: check.reason ?? '' });
  };
  return (
    <DialogFrame title={t(anchor.direction === 'out' ? 'connect.titleOut' : 'connect.titleIn', { port: name })} onEscape={close} className="connect-menu">
      {choices.length ? (
        <ul className="connect-list" aria-label={t('connect.list')}>
          {choices.map((c) => (
            <li key={`${c.step}:${c.port}`}>
              <button type="button" className="button connect-choice" onClick={() => choose(c)}>
                {c.label}
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p>{t('connect.none')}</p>
      )}
      <div className="dialog-buttons">
        <button type="button" className="button" onClick={close}>
          {t('close')}
        </button>
      </div>
    </DialogFrame>
  );
}
