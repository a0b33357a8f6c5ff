// The content of the legacy exports (legacy-endpoints.md §2), drawn by both the XLSX and the PDF
// from the project_statistics figures, so the two files and the JSON can never disagree. Each value
// carries the number (Excel keeps it numeric) and its text as the original Python printed it
// (`str(value)`: the PDF lines and the Excel column widths).
import { toCents } from '../../../../../libs/metrics/src/exact.js';
import type { LegacyStatistics } from '../../../../../libs/metrics/src/legacy-types.js';

export interface LegacyRow {
  label: string;
  value: number;
  /** The value as Python's str() printed it: "12" for a count, "150000.0" for a float. */
  text: string;
}

export interface LegacySection {
  /** Title in the XLSX and, unless `pdfTitle` says otherwise, the PDF heading. */
  title: string;
  pdfTitle: string;
  /** Column headers of the list sections (XLSX only). */
  header: [string, string] | null;
  rows: LegacyRow[];
}

/** A two-decimal figure (exact.ts output) back to hundredths; anything else is refused. */
function hundredthsOf(value: number): bigint {
  const text = String(value);
  if (!/^-?\d+(\.\d{1,2})?$/.test(text)) throw new Error(`not a decimal with at most 2 places: ${text}`);
  return toCents(text);
}

/**
 * Python's str() of the float nearest a decimal of hundredths, computed on the decimal: digits as
 * they are, trailing zeros dropped, at least one decimal ("150000.0", "75000.52", "-12.5").
 * Python prints the shortest text that reads back as the same float, which is the decimal itself
 * for every amount below 10^13 (15 significant digits); it switches to an exponent from 10^16.
 */
export function pythonFloatText(cents: bigint): string {
  const negative = cents < 0n;
  const magnitude = negative ? -cents : cents;
  const fraction = (magnitude % 100n).toString().padStart(2, '0').replace(/0$/, '');
  return `${negative ? '-' : ''}${magnitude / 100n}.${fraction}`;
}

const integer = (label: string, value: number): LegacyRow => ({ label, value, text: String(value) });
/** The original converted money with float(): always printed with a decimal point. */
const money = (label: string, value: number): LegacyRow => ({ label, value, text: pythonFloatText(hundredthsOf(value)) });

export function legacyReport({ statistics: s, reviewRatingMean2dp }: LegacyStatistics): LegacySection[] {
  const section = (title: string, rows: LegacyRow[], header: [string, string] | null = null, pdfTitle = title): LegacySection => ({
    title,
    pdfTitle,
    header,
    rows,
  });
  return [
    section("Vue d'ensemble", [
      integer('Total utilisateurs', s.overview.total_users),
      integer('Clients', s.overview.total_clients),
      integer('Techniciens', s.overview.total_technicians),
      integer('Admins', s.overview.total_admins),
      integer('Utilisateurs actifs (30j)', s.overview.active_users_30d),
    ]),
    section('Demandes', [
      integer('Total demandes', s.requests.total),
      integer('Terminées', s.requests.completed),
      integer('En attente', s.requests.pending),
      integer('En cours', s.requests.in_progress),
      integer('Annulées', s.requests.cancelled),
    ]),
    section('Finances', [
      money('Revenus totaux (XOF)', s.financial.total_revenue),
      money('Paiements techniciens (XOF)', s.financial.total_payouts),
      money('Frais plateforme (XOF)', s.financial.platform_fees),
    ]),
    section('Satisfaction', [
      integer("Nombre d'avis", s.satisfaction.total_reviews),
      {
        label: 'Note moyenne',
        value: reviewRatingMean2dp,
        // round(Avg(...) or 0, 2): a float when there are reviews, the integer 0 when there are none.
        text: s.satisfaction.total_reviews === 0 ? '0' : pythonFloatText(hundredthsOf(reviewRatingMean2dp)),
      },
    ]),
    section(
      'Demandes par spécialité',
      s.specialties.stats.map((row) => integer(row.specialty_needed, row.count)),
      ['Spécialité', 'Nombre de demandes'],
    ),
    section(
      'Demandes par ville',
      s.geography.top_cities.map((row) => integer(row.city, row.count)),
      ['Ville', 'Nombre de demandes'],
      'Demandes par ville (top 10)',
    ),
  ];
}

/** statistiques_depanneteliman_YYYYMMDD_HHMMSS.<extension>, UTC. */
export function legacyFileName(generatedAt: Date, extension: 'xlsx' | 'pdf'): string {
  const stamp = generatedAt.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
  return `statistiques_depanneteliman_${stamp}.${extension}`;
}
