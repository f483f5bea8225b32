import type { TargetProfile } from '../../../shared/targets';
import { useAppStore } from '../../state/appStore';

/** The target chosen in the toolbar ("Run on"), or undefined before targets load. */
export function useChosenTarget(): TargetProfile | undefined {
  return useAppStore((s) => s.targets.find((t) => t.id === s.targetId));
}
