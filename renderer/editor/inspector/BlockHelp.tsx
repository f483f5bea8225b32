import { useTranslation } from 'react-i18next';
import type { BlockDefinition } from '../../../shared/catalog';
import { Markdown } from '../../lib/markdown';

/** The block's own help, then its inputs and outputs (title, format, description). */
export function BlockHelp({ block }: { block: BlockDefinition }) {
  const { t } = useTranslation('inspector');
  if (!block.help && block.inputs.length === 0 && block.outputs.length === 0) return null;
  return (
    <details className="inspector-help">
      <summary>{t('help.about', { title: block.title })}</summary>
      {block.help && <Markdown text={block.help} />}
      {block.inputs.length > 0 && (
        <>
          <h4>{t('help.inputs')}</h4>
          <ul className="port-list">
            {block.inputs.map((p) => (
              <li key={p.id}>
                <strong>{p.title}</strong> <code>{p.format}</code>
                {p.required ? '' : ` ${t('field.optional')}`}
                {p.description ? <span className="port-description"> — {p.description}</span> : null}
              </li>
            ))}
          </ul>
        </>
      )}
      {block.outputs.length > 0 && (
        <>
          <h4>{t('help.outputs')}</h4>
          <ul className="port-list">
            {block.outputs.map((p) => (
              <li key={p.id}>
                <strong>{p.title}</strong> <code>{p.format}</code>
                {p.description ? <span className="port-description"> — {p.description}</span> : null}
              </li>
            ))}
          </ul>
        </>
      )}
    </details>
  );
}
