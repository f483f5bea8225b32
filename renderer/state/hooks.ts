import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { DocumentState, DocumentStore } from './documentStore';
import type { SessionState } from './sessionStore';
import { sessionStore } from './sessionStore';

export const DocumentStoreContext = createContext<DocumentStore | null>(null);

/** The open pipeline's store; components under the editor only. */
export function useDocumentStoreApi(): DocumentStore {
  const store = useContext(DocumentStoreContext);
  if (!store) throw new Error('useDocumentStoreApi must be used inside a DocumentStoreContext provider');
  return store;
}

/** Selects from the open pipeline's store. Return primitives, or wrap the selector in useShallow. */
export function useDocument<T>(selector: (s: DocumentState) => T): T {
  return useStore(useDocumentStoreApi(), selector);
}

export function useSession<T>(selector: (s: SessionState) => T): T {
  return useStore(sessionStore, selector);
}
