// Builds the ReportModel from the section endpoints' answers: each section's figures, tables and
// charts are declared once here (keys of the payload, French labels, formats), and the numbers are
// copied from the payload as the API served them. The one derived column, the cumulative revenue
// of the daily trends (for the area chart), is a running sum done in exact cents.
import { centsToNumber, toCents } from '../../../../libs/metrics/src/exact.js';
import type { CalculationInfo, Section, SectionFigures } from '../../../../libs/metrics/src/types.js';
import { PERIOD_NAMES } from './format-fr.js';
import type { CellValue, ReportChart, ReportColumn, ReportFigure, ReportFilters, ReportModel, ReportSection, ReportTable, ValueFormat } from './report-model.js';
import { SECTION_TITLES } from '../../../../libs/metrics/src/section-titles.js';

export const REPORT_TITLE = 'Rapport des statistiques DepanneTeliman';

/** A section endpoint's answer, as served (with its calculation_info). */
export type SectionPayload<S extends Section = Section> = SectionFigures<S> & { calculation_info: CalculationInfo };

export type SectionPayloads = { [S in Section]?: SectionPayload<S> };

type Row = Record<string, CellValue>;

const figure = <T extends object>(payload: T, key: keyof T & string, label: string, format: ValueFormat): ReportFigure => {
  const value: unknown = payload[key];
  if (value !== null && typeof value !== 'number' && typeof value !== 'string') throw new Error(`report: ${key} is not a scalar in the payload`);
  return { key, label, value, format };
};

const column = (key: string, label: string, format: ValueFormat): ReportColumn => ({ key, label, format });

function table(id: string, title: string, columns: ReportColumn[], rows: Row[]): ReportTable {
  return { id, title, columns, rows };
}

function entries<T>(record: Record<string, T>): Array<[string, T]> {
  return Object.entries(record);
}

/** Running sum of money values, exact (cents), as numbers with 2 decimals at most. */
function cumulative(values: number[]): number[] {
  let sum = 0n;
  return values.map((value) => {
    sum += toCents(String(value));
    return centsToNumber(sum);
  });
}

interface SectionContent {
  figures: ReportFigure[];
  tables: ReportTable[];
  charts: ReportChart[];
}

type Builder<S extends Section> = (payload: SectionPayload<S>) => SectionContent;

const builders: { [S in Section]: Builder<S> } = {
  overview: (p) => ({
    figures: [
      figure(p, 'total_users', 'Utilisateurs totaux', 'integer'),
      figure(p, 'total_clients', 'Clients', 'integer'),
      figure(p, 'total_technicians', 'Techniciens', 'integer'),
      figure(p, 'total_admins', 'Administrateurs', 'integer'),
      figure(p, 'active_users_30d', 'Utilisateurs actifs (30 j)', 'integer'),
      figure(p, 'new_users_30d', 'Nouveaux utilisateurs (30 j)', 'integer'),
      figure(p, 'total_requests', 'Demandes totales', 'integer'),
      figure(p, 'completed_requests', 'Demandes terminées', 'integer'),
      figure(p, 'total_revenue', 'Revenus totaux', 'xof'),
      figure(p, 'platform_fees', 'Frais de plateforme', 'xof'),
      figure(p, 'avg_rating', 'Note moyenne', 'rating'),
      figure(p, 'satisfaction_rate', 'Taux de satisfaction', 'percent'),
    ],
    tables: [
      table('overview.users', 'Utilisateurs par type', [column('type', 'Type', 'text'), column('users', 'Utilisateurs', 'integer')], [
        { type: 'Clients', users: p.total_clients },
        { type: 'Techniciens', users: p.total_technicians },
        { type: 'Administrateurs', users: p.total_admins },
      ]),
    ],
    charts: [{ kind: 'bar', title: 'Utilisateurs par type', table: 'overview.users', category: 'type', series: ['users'] }],
  }),
  requests: (p) => ({
    figures: [
      figure(p, 'total', 'Total des demandes', 'integer'),
      figure(p, 'pending', 'En attente', 'integer'),
      figure(p, 'in_progress', 'En cours', 'integer'),
      figure(p, 'completed', 'Terminées', 'integer'),
      figure(p, 'cancelled', 'Annulées', 'integer'),
      figure(p, 'urgent', 'Urgentes', 'integer'),
      figure(p, 'success_rate', 'Taux de succès', 'percent'),
      figure(p, 'avg_response_time_hours', 'Temps de réponse moyen', 'hours'),
      figure(p, 'avg_completion_time_hours', 'Temps de completion moyen', 'hours'),
    ],
    tables: [
      table(
        'requests.by_status',
        'Demandes par statut',
        [column('status', 'Statut', 'status'), column('requests', 'Demandes', 'integer')],
        entries(p.by_status).map(([status, requests]) => ({ status, requests })),
      ),
    ],
    charts: [{ kind: 'pie', title: 'Répartition par statut', table: 'requests.by_status', category: 'status', series: ['requests'] }],
  }),
  financial: (p) => ({
    figures: [
      figure(p, 'total_revenue', 'Revenus totaux', 'xof'),
      figure(p, 'total_payouts', 'Paiements techniciens', 'xof'),
      figure(p, 'platform_fees', 'Frais de plateforme', 'xof'),
      figure(p, 'avg_request_value', 'Valeur moyenne par demande', 'xof'),
      figure(p, 'payment_success_rate', 'Taux de succès des paiements', 'percent'),
    ],
    tables: [
      table(
        'financial.payment_methods',
        'Méthodes de paiement',
        [column('method', 'Méthode', 'payment_method'), column('count', 'Paiements', 'integer'), column('total', 'Montant', 'xof')],
        p.payment_methods.map((method) => ({ method: method.method, count: method.count, total: method.total })),
      ),
    ],
    charts: [{ kind: 'pie', title: 'Revenus par méthode de paiement', table: 'financial.payment_methods', category: 'method', series: ['total'] }],
  }),
  satisfaction: (p) => ({
    figures: [
      figure(p, 'total_reviews', 'Total des avis', 'integer'),
      figure(p, 'avg_rating', 'Note moyenne', 'rating'),
      figure(p, 'satisfaction_rate', 'Taux de satisfaction', 'percent'),
      figure(p, 'recommendation_rate', 'Taux de recommandation', 'percent'),
    ],
    tables: [
      table(
        'satisfaction.rating_distribution',
        'Répartition des notes',
        [column('rating', 'Note', 'text'), column('reviews', 'Avis', 'integer')],
        entries(p.rating_distribution).map(([rating, reviews]) => ({ rating, reviews })),
      ),
    ],
    charts: [{ kind: 'bar', title: 'Avis par note', table: 'satisfaction.rating_distribution', category: 'rating', series: ['reviews'] }],
  }),
  technicians: (p) => ({
    figures: [
      figure(p, 'total', 'Total des techniciens', 'integer'),
      figure(p, 'verified', 'Techniciens vérifiés', 'integer'),
      figure(p, 'available', 'Techniciens disponibles', 'integer'),
      figure(p, 'avg_rating', 'Note moyenne', 'rating'),
      figure(p, 'requests_per_technician', 'Demandes par technicien', 'decimal'),
    ],
    tables: [
      table(
        'technicians.top_technicians',
        'Meilleurs techniciens',
        [
          column('id', 'Id', 'integer'),
          column('name', 'Nom', 'text'),
          column('specialty', 'Spécialité', 'specialty'),
          column('total_jobs', 'Interventions', 'integer'),
          column('avg_rating', 'Note moyenne', 'rating'),
          column('total_earnings', 'Gains', 'xof'),
        ],
        p.top_technicians.map((technician) => ({ ...technician })),
      ),
    ],
    charts: [{ kind: 'bar', title: 'Interventions des meilleurs techniciens', table: 'technicians.top_technicians', category: 'name', series: ['total_jobs'] }],
  }),
  specialties: (p) => ({
    figures: [],
    tables: [
      table(
        'specialties.distribution',
        'Demandes par spécialité',
        [
          column('specialty_needed', 'Spécialité', 'specialty'),
          column('count', 'Demandes', 'integer'),
          column('completed', 'Terminées', 'integer'),
          column('avg_price', 'Prix moyen', 'xof'),
        ],
        entries(p.distribution).map(([specialty_needed, figures]) => ({ specialty_needed, ...figures })),
      ),
      table(
        'specialties.top_specialties',
        'Top 5 des spécialités',
        [
          column('specialty_needed', 'Spécialité', 'specialty'),
          column('count', 'Demandes', 'integer'),
          column('completed', 'Terminées', 'integer'),
          column('avg_price', 'Prix moyen', 'xof'),
        ],
        p.top_specialties.map((specialty) => ({ ...specialty })),
      ),
      table(
        'specialties.performance',
        'Performance par spécialité',
        [
          column('specialty_needed', 'Spécialité', 'specialty'),
          column('count', 'Demandes', 'integer'),
          column('completed', 'Terminées', 'integer'),
          column('success_rate', 'Taux de succès', 'percent'),
          column('avg_price', 'Prix moyen', 'xof'),
          column('avg_response_time_hours', 'Temps de réponse', 'hours'),
          column('avg_completion_time_hours', 'Temps de completion', 'hours'),
        ],
        p.performance.map((performance) => ({ ...performance })),
      ),
    ],
    charts: [
      { kind: 'bar', title: 'Demandes par spécialité', table: 'specialties.distribution', category: 'specialty_needed', series: ['count', 'completed'] },
      { kind: 'radar', title: 'Taux de succès par spécialité (%)', table: 'specialties.performance', category: 'specialty_needed', series: ['success_rate'] },
    ],
  }),
  security: (p) => ({
    figures: [
      figure(p, 'total_logins', 'Connexions réussies', 'integer'),
      figure(p, 'failed_logins', 'Connexions échouées', 'integer'),
      figure(p, 'security_alerts', 'Alertes de sécurité', 'integer'),
      figure(p, 'login_success_rate', 'Taux de succès des connexions', 'percent'),
      figure(p, 'high_risk_events', 'Événements à risque élevé', 'integer'),
    ],
    tables: [
      table(
        'security.top_risky_ips',
        'Adresses IP les plus risquées',
        [column('ip_address', 'Adresse IP', 'text'), column('events', 'Événements', 'integer'), column('max_risk_score', 'Score de risque max', 'integer')],
        p.top_risky_ips.map((ip) => ({ ...ip })),
      ),
      table(
        'security.top_risky_cities',
        'Villes les plus risquées',
        [column('city', 'Ville', 'text'), column('events', 'Événements', 'integer')],
        p.top_risky_cities.map((city) => ({ ...city })),
      ),
    ],
    charts: [{ kind: 'bar', title: 'Événements à risque par ville', table: 'security.top_risky_cities', category: 'city', series: ['events'] }],
  }),
  geography: (p) => ({
    figures: [],
    tables: [
      table(
        'geography.top_cities',
        'Top 10 des villes',
        [column('city', 'Ville', 'text'), column('count', 'Demandes', 'integer')],
        p.top_cities.map((city) => ({ ...city })),
      ),
      table(
        'geography.cities',
        'Activité par ville',
        [column('city', 'Ville', 'text'), column('requests', 'Demandes', 'integer'), column('completed', 'Terminées', 'integer'), column('revenue', 'Revenus', 'xof')],
        p.cities.map((city) => ({ ...city })),
      ),
    ],
    charts: [{ kind: 'bar', title: 'Demandes par ville', table: 'geography.top_cities', category: 'city', series: ['count'] }],
  }),
  trends: (p) => {
    const daily = entries(p.daily);
    const running = cumulative(daily.map(([, bucket]) => bucket.revenue));
    return {
      figures: [],
      tables: [
        table(
          'trends.daily',
          'Évolution quotidienne (7 jours)',
          [
            column('day', 'Jour', 'date'),
            column('requests', 'Demandes', 'integer'),
            column('completed', 'Terminées', 'integer'),
            column('revenue', 'Revenus', 'xof'),
            column('cumulative_revenue', 'Revenus cumulés', 'xof'),
            column('new_users', 'Nouveaux utilisateurs', 'integer'),
            column('reviews', 'Avis', 'integer'),
            column('avg_rating', 'Note moyenne', 'rating'),
          ],
          daily.map(([day, bucket], i) => ({
            day,
            ...bucket,
            cumulative_revenue: running[i]!,
            reviews: p.ratings.daily[day]?.reviews ?? null,
            avg_rating: p.ratings.daily[day]?.avg_rating ?? null,
          })),
        ),
        table(
          'trends.weekly',
          'Évolution hebdomadaire (Semaine 1 = la plus récente)',
          [
            column('week', 'Semaine', 'text'),
            column('requests', 'Demandes', 'integer'),
            column('completed', 'Terminées', 'integer'),
            column('revenue', 'Revenus', 'xof'),
            column('reviews', 'Avis', 'integer'),
            column('avg_rating', 'Note moyenne', 'rating'),
          ],
          entries(p.weekly).map(([week, bucket]) => ({
            week,
            ...bucket,
            reviews: p.ratings.weekly[week]?.reviews ?? null,
            avg_rating: p.ratings.weekly[week]?.avg_rating ?? null,
          })),
        ),
        table(
          'trends.monthly',
          'Évolution mensuelle',
          [
            column('month', 'Mois', 'text'),
            column('requests', 'Demandes', 'integer'),
            column('completed', 'Terminées', 'integer'),
            column('revenue', 'Revenus', 'xof'),
            column('new_users', 'Nouveaux utilisateurs', 'integer'),
            column('reviews', 'Avis', 'integer'),
            column('avg_rating', 'Note moyenne', 'rating'),
          ],
          entries(p.monthly).map(([month, bucket]) => ({
            month,
            ...bucket,
            reviews: p.ratings.monthly[month]?.reviews ?? null,
            avg_rating: p.ratings.monthly[month]?.avg_rating ?? null,
          })),
        ),
      ],
      charts: [
        { kind: 'line', title: 'Demandes par jour', table: 'trends.daily', category: 'day', series: ['requests', 'completed'] },
        { kind: 'area', title: 'Revenus cumulés sur 7 jours (FCFA)', table: 'trends.daily', category: 'day', series: ['cumulative_revenue'] },
        { kind: 'bar', title: 'Demandes par semaine', table: 'trends.weekly', category: 'week', series: ['requests', 'completed'] },
        { kind: 'line', title: 'Revenus par mois (FCFA)', table: 'trends.monthly', category: 'month', series: ['revenue'] },
      ],
    };
  },
  advanced: (p) => ({
    figures: [
      figure(p, 'conversion_rate', 'Taux de conversion', 'percent'),
      figure(p, 'retention_rate', 'Taux de rétention', 'percent'),
      figure(p, 'churn_rate', 'Taux de churn', 'percent'),
      figure(p, 'ltv', 'Valeur vie client (LTV)', 'xof'),
      { key: 'cac', label: "Coût d'acquisition client (CAC)", value: p.cac ?? 'non calculé (aucune donnée de coût)', format: p.cac === null ? 'text' : 'xof' },
    ],
    tables: [],
    charts: [],
  }),
};

/** The filters in words: "30 derniers jours · Ville : Bamako · Spécialité : plumber". */
export function periodLabel(filters: ReportFilters): string {
  const parts: string[] = [];
  if (filters.period === 'custom') {
    const day = (iso: string): string => iso.replace('T', ' ').replace(/(:00)?\.000Z$/, ' UTC').replace(/:00 UTC$/, ' UTC');
    if (filters.from && filters.to) parts.push(`Du ${day(filters.from)} au ${day(filters.to)} (exclu)`);
    else if (filters.from) parts.push(`Depuis le ${day(filters.from)}`);
    else if (filters.to) parts.push(`Jusqu'au ${day(filters.to)} (exclu)`);
  } else {
    parts.push(PERIOD_NAMES[filters.period] ?? filters.period);
  }
  if (filters.city !== null) parts.push(`Ville : ${filters.city}`);
  if (filters.specialty !== null) parts.push(`Spécialité : ${filters.specialty}`);
  return parts.join(' · ');
}

/** The oldest data_as_of among the sections (null if any section has none). */
function oldest(values: Array<string | null>): string | null {
  if (values.length === 0 || values.some((value) => value === null)) return null;
  return (values as string[]).reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b));
}

export function buildReportModel(payloads: SectionPayloads, sections: readonly Section[], filters: ReportFilters, generatedAt: Date): ReportModel {
  const built: ReportSection[] = sections.map((key) => {
    const payload = payloads[key];
    if (!payload) throw new Error(`report: no payload for section ${key}`);
    const content = (builders[key] as Builder<Section>)(payload as SectionPayload);
    return { key, title: SECTION_TITLES[key], data_as_of: payload.calculation_info.data_as_of, ...content };
  });
  return {
    title: REPORT_TITLE,
    generated_at: generatedAt.toISOString(),
    data_as_of: oldest(built.map((section) => section.data_as_of)),
    filters,
    period_label: periodLabel(filters),
    sections: built,
  };
}
