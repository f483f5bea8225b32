import { useTranslation } from 'react-i18next';
import type { BlockDefinition } from '../../../shared/catalog';
import { chooseEnvironment, resolveResources } from '../../../shared/compiler';
import type { Step } from '../../../shared/document';
import type { TargetProfile } from '../../../shared/targets';

/** "Software environment": how the chosen target provides this block's software (shared/compiler/environment.ts). */
export function EnvironmentSection({ step, block, target }: { step: Step; block: BlockDefinition; target: TargetProfile | undefined }) {
  const { t } = useTranslation('inspector');
  if (!target) return null;
  const gpus = resolveResources(step, block, target).gpus;
  const choice = chooseEnvironment(block, target, gpus);
  return (
    <section className="inspector-environment">
      <h3 className="inspector-section">{t('environment.title')}</h3>
      {choice.ok ? (
        <>
          <p>{t('environment.uses', { target: target.title, description: choice.environment.description })}</p>
          {choice.environment.modules.length > 0 && (
            <p className="field-hint">
              {t('environment.modules')} <code>module load {choice.environment.modules.join(' ')}</code>
            </p>
          )}
          {choice.environment.image && (
            <p className="field-hint">
              {t('environment.container')} <code>{choice.environment.image}</code>
            </p>
          )}
          {choice.environment.tools.length > 0 && (
            <p className="field-hint">
              {t('environment.tools')} {choice.environment.tools.join(', ')}
            </p>
          )}
        </>
      ) : (
        <div className="environment-missing" role="status">
          <p>{t('environment.none', { target: target.title })}</p>
          <ul>
            {choice.offered.map((o, i) => (
              <li key={i}>
                {t('environment.offerLacking', { offer: o, lacking: choice.lacking[i] ?? '' })}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
