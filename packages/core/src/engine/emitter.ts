/** A tiny typed emitter. A throwing listener is isolated: it never breaks the engine. */
export function createEmitter<Events extends object>(onListenerError: (error: unknown) => void) {
  const listeners = new Map<keyof Events, Set<(e: never) => void>>();
  return {
    on<K extends keyof Events>(event: K, listener: (e: Events[K]) => void): () => void {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (e: never) => void);
      return () => set!.delete(listener as (e: never) => void);
    },
    emit<K extends keyof Events>(event: K, payload: Events[K]): void {
      const set = listeners.get(event);
      if (!set) return;
      for (const l of [...set]) {
        try {
          (l as (e: Events[K]) => void)(payload);
        } catch (error) {
          onListenerError(error);
        }
      }
    },
    clear() {
      listeners.clear();
    },
  };
}
