// What every tab shares: a loading line while the first answer is on its way, the API's error in
// words when it fails (the figures already shown stay: never replaced by made-up ones).
import type { ReactNode } from 'react';
import type { LiveResource } from '../live/use-live.js';

export function Loaded<T>({ resource, what, children }: { resource: LiveResource<T>; what: string; children: (data: T) => ReactNode }) {
  return (
    <section className="block" aria-busy={resource.loading} aria-label={what}>
      {resource.error && (
        <p className="error" role="alert">
          {what} : {resource.error}
        </p>
      )}
      {resource.data ? children(resource.data) : !resource.error && <p className="loading">Chargement : {what}…</p>}
    </section>
  );
}

/** Entries of a record in its order (the API's order), as [key, value]. */
export function entriesOf<V>(record: Record<string, V>): Array<[string, V]> {
  return Object.entries(record);
}
