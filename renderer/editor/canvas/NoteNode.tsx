import type { NodeProps } from '@xyflow/react';
import { NodeResizer } from '@xyflow/react';
import { memo, useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { useStore } from 'zustand';
import { NOTE_COLORS } from '../../../shared/document';
import { Markdown } from '../../lib/markdown';
import { useDocument, useDocumentStoreApi } from '../../state/hooks';
import { canvasUi } from './canvasUi';
import type { NoteNodeType } from './flowElements';

/** A sticky note: markdown shown safely (React elements, no HTML), edited in a textarea. */
function NoteNodeView({ data, selected }: NodeProps<NoteNodeType>) {
  const { t } = useTranslation('canvas');
  const store = useDocumentStoreApi();
  const editable = useDocument((s) => !s.readOnly && !s.doc.lock);
  const editing = useStore(canvasUi, (s) => s.editingNote === data.noteId) && editable;
  const area = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    if (editing) area.current?.focus();
  }, [editing]);

  const stopEditing = () => {
    if (canvasUi.getState().editingNote === data.noteId) canvasUi.getState().setEditingNote(null);
  };

  return (
    <div className={`note-node note-${data.color} ${selected ? 'selected' : ''}`} onDoubleClick={() => editable && canvasUi.getState().setEditingNote(data.noteId)}>
      {editable && (
        <NodeResizer
          isVisible={selected}
          minWidth={120}
          minHeight={60}
          onResizeStart={() => store.getState().beginGesture()}
          onResize={(_e, p) => store.getState().updateNote(data.noteId, { size: { width: Math.round(p.width), height: Math.round(p.height) }, position: { x: Math.round(p.x), y: Math.round(p.y) } })}
          onResizeEnd={() => store.getState().endGesture()}
        />
      )}
      {editing ? (
        <textarea
          ref={area}
          className="note-editor nodrag nowheel nopan"
          aria-label={t('note.text')}
          value={data.text}
          maxLength={20000}
          onChange={(e) => store.getState().updateNote(data.noteId, { text: e.target.value })}
          onBlur={stopEditing}
          onKeyDown={(e) => {
            if (e.key === 'Escape' || (e.key === 'Enter' && (e.ctrlKey || e.metaKey))) {
              e.preventDefault();
              e.stopPropagation();
              stopEditing();
              // Back to the note itself, so the keyboard user is where they were.
              (e.currentTarget.closest('.react-flow__node') as HTMLElement | null)?.focus();
            }
          }}
        />
      ) : data.text.trim() ? (
        // Focusable, so a long note that scrolls can be read with the keyboard too.
        <div className="note-text nowheel" tabIndex={0} role="region" aria-label={t('note.reading')}>
          <Markdown text={data.text} />
        </div>
      ) : (
        <p className="note-placeholder">{editable ? t('note.placeholder') : ''}</p>
      )}
      {selected && editable && !editing && (
        <div className="note-tools nodrag" role="group" aria-label={t('note.tools')}>
          <button type="button" className="note-tool" onClick={() => canvasUi.getState().setEditingNote(data.noteId)}>
            {t('note.edit')}
          </button>
          {NOTE_COLORS.map((c) => (
            <button
              key={c}
              type="button"
              className={`note-swatch note-${c}`}
              aria-label={t(`note.color.${c}`)}
              title={t(`note.color.${c}`)}
              aria-pressed={data.color === c}
              onClick={() => store.getState().updateNote(data.noteId, { color: c })}
            />
          ))}
          <button type="button" className="note-tool danger" onClick={() => store.getState().removeElements({ notes: [data.noteId] })}>
            {t('note.delete')}
          </button>
        </div>
      )}
    </div>
  );
}

export const NoteNode = memo(NoteNodeView);
