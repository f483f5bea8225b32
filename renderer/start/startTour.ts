import { newPipeline } from '../actions/files';
import { useAppStore } from '../state/appStore';
import { useTour } from './tourState';

/** Shows the editor (the open pipeline, or a new empty one) and starts the tour over it. */
export async function startTour(): Promise<void> {
  const app = useAppStore.getState();
  if (app.editor) app.openEditor(app.editor);
  else await newPipeline();
  if (useAppStore.getState().screen === 'editor') useTour.getState().start();
}
