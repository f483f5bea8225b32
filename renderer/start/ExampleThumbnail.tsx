import { useTranslation } from 'react-i18next';
import type { BlockDefinition } from '../../shared/catalog';

const BOX = { w: 46, h: 22, gap: 14 };

/** A small drawing of an example's graph: one box per block, in order, coloured by category. */
export function ExampleThumbnail({ blocks, blocksById }: { blocks: readonly string[]; blocksById: ReadonlyMap<string, BlockDefinition> }) {
  const { t } = useTranslation('start');
  const width = Math.max(1, blocks.length) * (BOX.w + BOX.gap) - BOX.gap + 8;
  const titles = blocks.map((id) => blocksById.get(id)?.title ?? id);
  return (
    <svg className="thumbnail" viewBox={`0 0 ${width} ${BOX.h + 16}`} role="img" aria-label={t('thumbnail', { steps: titles.join(t('thumbnailThen')) })}>
      {blocks.map((id, i) => {
        const x = 4 + i * (BOX.w + BOX.gap);
        const category = blocksById.get(id)?.category ?? 'unknown';
        return (
          <g key={`${id}-${i}`}>
            {i > 0 && <line x1={x - BOX.gap} y1={8 + BOX.h / 2} x2={x} y2={8 + BOX.h / 2} className="thumbnail-edge" />}
            <rect x={x} y={8} width={BOX.w} height={BOX.h} rx={4} className={`thumbnail-box cat-${category}`} />
          </g>
        );
      })}
    </svg>
  );
}
