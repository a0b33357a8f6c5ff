// The statistics filters: period (24 h / 7 jours / 30 jours / Tout), a custom range of days, a city
// and a specialty. Every change is a navigation: the address holds the filters (shareable, back
// button works) and the tabs read them from there.
import { useEffect, useId, useState, type FormEvent } from 'react';
import { STATISTICS_API, apiGet, type SectionPayload } from '../api/client.js';
import { cityLabel, specialtyLabel } from '../../../../libs/metrics/src/labels.js';
import { useSession } from '../live/use-live.js';
import { PERIOD_CHOICES, hrefOf, navigate, type Filters, type TabSlug } from '../routing/url-state.js';

interface Choices {
  cities: string[];
  specialties: string[];
}

/**
 * The lists wait for the tab's own numbers: they come from the geography and specialties sections,
 * two computations that would otherwise queue in the engine ahead of what the page opened for.
 * Opening a list asks for them at once.
 */
const CHOICES_DELAY_MS = 1500;

/** Cities and specialties present in the data (all time, no filter), for the two lists; and a way to ask for them now. */
function useChoices(): [Choices | null, () => void] {
  const { token, signOut } = useSession();
  const [choices, setChoices] = useState<Choices | null>(null);
  const [wanted, setWanted] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setWanted(true), CHOICES_DELAY_MS);
    return () => clearTimeout(timer);
  }, []);
  useEffect(() => {
    if (!wanted) return undefined;
    const controller = new AbortController();
    Promise.all([
      apiGet<SectionPayload<'geography'>>(`${STATISTICS_API}/geography/`, token, controller.signal),
      apiGet<SectionPayload<'specialties'>>(`${STATISTICS_API}/specialties/`, token, controller.signal),
    ]).then(
      ([geography, specialties]) =>
        setChoices({
          cities: geography.cities.map((city) => city.city).sort((a, b) => a.localeCompare(b, 'fr')),
          specialties: specialties.top_specialties.map((entry) => entry.specialty_needed),
        }),
      (error: unknown) => {
        if (controller.signal.aborted) return;
        console.error('filter choices:', error);
        if (error instanceof Error && error.name === 'AccessError') signOut(error.message);
      },
    );
    return () => controller.abort();
  }, [wanted, token, signOut]);
  return [choices, () => setWanted(true)];
}

export function FiltersBar({ tab, filters }: { tab: TabSlug; filters: Filters }) {
  const ids = { from: useId(), to: useId(), city: useId(), specialty: useId() };
  const [choices, wantChoices] = useChoices();
  const [from, setFrom] = useState(filters.from ?? '');
  const [to, setTo] = useState(filters.to ?? '');
  const [rangeError, setRangeError] = useState<string | null>(null);
  useEffect(() => {
    setFrom(filters.from ?? '');
    setTo(filters.to ?? '');
  }, [filters.from, filters.to]);

  const go = (next: Filters): void => navigate(hrefOf(tab, next));

  const applyRange = (event: FormEvent): void => {
    event.preventDefault();
    if (from === '' && to === '') return setRangeError('Choisissez une date de début, de fin, ou les deux.');
    if (from !== '' && to !== '' && from > to) return setRangeError('La date de début doit précéder la date de fin.');
    setRangeError(null);
    go({ ...filters, period: null, from: from || null, to: to || null });
  };

  const cityOptions = [...(choices?.cities ?? [])];
  const specialtyOptions = [...(choices?.specialties ?? [])];
  // A value from the address that the lists do not hold (a shared link) is still offered and kept.
  if (filters.city && !cityOptions.includes(filters.city)) cityOptions.push(filters.city);
  if (filters.specialty && !specialtyOptions.includes(filters.specialty)) specialtyOptions.push(filters.specialty);

  return (
    <section className="filters" aria-label="Filtres">
      <div className="period" role="group" aria-label="Période">
        {PERIOD_CHOICES.map((choice) => (
          <button
            key={choice.value}
            type="button"
            aria-pressed={filters.period === choice.value}
            onClick={() => go({ ...filters, period: choice.value, from: null, to: null })}
          >
            {choice.label}
          </button>
        ))}
      </div>
      <form className="range" onSubmit={applyRange} aria-label="Période personnalisée">
        <label htmlFor={ids.from}>Du</label>
        <input id={ids.from} type="date" value={from} onChange={(event) => setFrom(event.target.value)} />
        <label htmlFor={ids.to}>au</label>
        <input id={ids.to} type="date" value={to} onChange={(event) => setTo(event.target.value)} />
        <button type="submit" aria-pressed={filters.period === null}>
          Appliquer
        </button>
        {rangeError && (
          <span className="form-message" role="alert">
            {rangeError}
          </span>
        )}
      </form>
      <div className="select">
        <label htmlFor={ids.city}>Ville</label>
        <select id={ids.city} value={filters.city ?? ''} onFocus={wantChoices} onPointerDown={wantChoices} onChange={(event) => go({ ...filters, city: event.target.value || null })}>
          <option value="">Toutes les villes</option>
          {cityOptions.map((city) => (
            <option key={city} value={city}>
              {cityLabel(city)}
            </option>
          ))}
        </select>
      </div>
      <div className="select">
        <label htmlFor={ids.specialty}>Spécialité</label>
        <select id={ids.specialty} value={filters.specialty ?? ''} onFocus={wantChoices} onPointerDown={wantChoices} onChange={(event) => go({ ...filters, specialty: event.target.value || null })}>
          <option value="">Toutes les spécialités</option>
          {specialtyOptions.map((specialty) => (
            <option key={specialty} value={specialty}>
              {specialtyLabel(specialty)}
            </option>
          ))}
        </select>
      </div>
    </section>
  );
}
