import { createContext, useContext, type ReactNode } from 'react';
import type { WizardApi } from '../shared/api.ts';
import type { WizardState, WizardStore } from './state/store.ts';

const StoreContext = createContext<{ store: WizardStore; api: WizardApi } | null>(null);

/** Gives every step the store and the API. */
export function StoreProvider(props: { store: WizardStore; api: WizardApi; children: ReactNode }) {
  return (
    <StoreContext.Provider value={{ store: props.store, api: props.api }}>
      {props.children}
    </StoreContext.Provider>
  );
}

/** Reads from the wizard's store. */
export function useWizard<T>(selector: (state: WizardState) => T): T {
  const context = useContext(StoreContext);
  if (!context) throw new Error('useWizard outside StoreProvider');
  return context.store(selector);
}

/** The API, for the few calls that do not change the store (report export). */
export function useApi(): WizardApi {
  const context = useContext(StoreContext);
  if (!context) throw new Error('useApi outside StoreProvider');
  return context.api;
}
