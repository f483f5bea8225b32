import { render } from '@testing-library/react';
import labYaml from '../../../resources/targets/lab.yaml?raw';
import localYaml from '../../../resources/targets/local.yaml?raw';
import type { BlockDefinition, BlockDefinitionInput } from '../../../shared/catalog';
import { zBlockDefinition } from '../../../shared/catalog';
import type { PipelineDocument } from '../../../shared/document';
import { createEmptyDocument } from '../../../shared/document';
import type { TargetProfile } from '../../../shared/targets';
import { parseProfile } from '../../../shared/targets';
import type { HostInfo } from '../../../shared/api';
import { useAppStore } from '../../state/appStore';
import type { DocumentStoreInit } from '../../state/documentStore';
import { createDocumentStore } from '../../state/documentStore';
import { DocumentStoreContext } from '../../state/hooks';
import { Inspector } from '../Inspector';

export function profile(text: string): TargetProfile {
  const p = parseProfile({ file: 'test.yaml', source: 'shipped', text });
  if (!p.ok) throw new Error(JSON.stringify(p.problems));
  return p.profile;
}

export const LAB = profile(labYaml);
export const LOCAL = profile(localYaml);

export function block(input: Partial<BlockDefinitionInput> & Pick<BlockDefinitionInput, 'id'>): BlockDefinition {
  return zBlockDefinition.parse({ version: 1, title: input.id, category: 'preprocess', description: 'A block for tests.', command: ['{{python}}', 'run.py'], ...input });
}

export const HOST: HostInfo = { kind: 'browser', nativeDialogs: false, version: 'test', platform: 'linux', cores: 4, pipelinesFolder: '/tmp/p' };

/** Renders the inspector over a store holding one step of each given block, the first selected. */
export function renderInspector(blocks: BlockDefinition[], options: { targetId?: string; doc?: PipelineDocument; readOnly?: boolean; host?: HostInfo | null; init?: Partial<DocumentStoreInit> } = {}) {
  useAppStore.getState().setLoaded({ host: options.host === undefined ? HOST : options.host, catalog: { blocks, problems: [] }, targets: [LOCAL, LAB], examples: [] });
  useAppStore.getState().setTarget(options.targetId ?? 'local');
  const store = createDocumentStore({ doc: options.doc ?? createEmptyDocument('T', new Date()), path: null, blocks, readOnly: options.readOnly, ...options.init });
  if (!options.doc) for (const b of blocks) store.getState().addStep(b.id);
  const first = store.getState().doc.steps[0];
  if (first) store.getState().select({ steps: [first.id] });
  const view = render(
    <DocumentStoreContext.Provider value={store}>
      <Inspector />
    </DocumentStoreContext.Provider>,
  );
  return { store, view };
}
