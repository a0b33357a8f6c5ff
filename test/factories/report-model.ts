// A realistic ReportModel written by hand (not built by the code under test): the 10 sections with
// the shapes the model builder produces, tables of 0, 1 and 120 rows (the long one spans pages),
// every chart kind, a city that is HTML (`<script>…`) and one with accents (Ségou), and
// known figures whose French forms the tests look for ("1 234 567 FCFA", "87,5 %", "4,2 / 5").
import { centsToNumber, toCents } from '../../libs/metrics/src/exact.js';
import type { CellValue, ReportModel, ReportSection } from '../../apps/api/src/exports/report-model.js';

export const SCRIPT_CITY = '<script>alert(1)</script>';
export const DAILY_ROWS = 120;

type Row = Record<string, CellValue>;

/** Day keys, oldest first, ending the day before the report. */
function days(count: number, last: string): string[] {
  const end = Date.parse(`${last}T00:00:00Z`);
  return Array.from({ length: count }, (_, i) => new Date(end - (count - 1 - i) * 86_400_000).toISOString().slice(0, 10));
}

/** Deterministic daily activity: a weekly rhythm and a slow growth, revenue with the odd half franc. */
export function dailyRows(): Row[] {
  let cumulative = 0n;
  return days(DAILY_ROWS, '2026-12-01').map((day, i) => {
    const requests = 38 + ((i * 37) % 23) + Math.floor(i / 6);
    const completed = requests - 4 - (i % 7);
    const revenue = completed * 12_500 + (i % 4 === 0 ? 0.5 : 0) + i * 150;
    cumulative += toCents(String(revenue));
    return {
      day,
      requests,
      completed,
      revenue,
      cumulative_revenue: centsToNumber(cumulative),
      new_users: 5 + (i % 9),
      reviews: 9 + (i % 6),
      avg_rating: [3.8, 3.9, 4, 4.1, 4.2][i % 5]!,
    };
  });
}

function sections(): ReportSection[] {
  const asOf = '2026-12-02T08:10:00.000Z';
  return [
    {
      key: 'overview',
      title: "Vue d'ensemble",
      data_as_of: asOf,
      figures: [
        { key: 'total_users', label: 'Utilisateurs totaux', value: 18_432, format: 'integer' },
        { key: 'total_clients', label: 'Clients', value: 15_210, format: 'integer' },
        { key: 'total_technicians', label: 'Techniciens', value: 3_187, format: 'integer' },
        { key: 'total_requests', label: 'Demandes totales', value: 42_519, format: 'integer' },
        { key: 'completed_requests', label: 'Demandes terminées', value: 36_004, format: 'integer' },
        { key: 'total_revenue', label: 'Revenus totaux', value: 1_234_567, format: 'xof' },
        { key: 'platform_fees', label: 'Frais de plateforme', value: 123_456.5, format: 'xof' },
        { key: 'avg_rating', label: 'Note moyenne', value: 4.2, format: 'rating' },
        { key: 'satisfaction_rate', label: 'Taux de satisfaction', value: 87.5, format: 'percent' },
      ],
      tables: [
        {
          id: 'overview.users',
          title: 'Utilisateurs par type',
          columns: [
            { key: 'type', label: 'Type', format: 'text' },
            { key: 'users', label: 'Utilisateurs', format: 'integer' },
          ],
          rows: [
            { type: 'Clients', users: 15_210 },
            { type: 'Techniciens', users: 3_187 },
            { type: 'Administrateurs', users: 35 },
          ],
        },
      ],
      charts: [{ kind: 'bar', title: 'Utilisateurs par type', table: 'overview.users', category: 'type', series: ['users'] }],
    },
    {
      key: 'requests',
      title: 'Demandes',
      data_as_of: asOf,
      figures: [
        { key: 'total', label: 'Total des demandes', value: 4_310, format: 'integer' },
        { key: 'pending', label: 'En attente', value: 212, format: 'integer' },
        { key: 'in_progress', label: 'En cours', value: 388, format: 'integer' },
        { key: 'completed', label: 'Terminées', value: 3_401, format: 'integer' },
        { key: 'cancelled', label: 'Annulées', value: 309, format: 'integer' },
        { key: 'success_rate', label: 'Taux de succès', value: 78.91, format: 'percent' },
        { key: 'avg_response_time_hours', label: 'Temps de réponse moyen', value: 3.75, format: 'hours' },
        { key: 'avg_completion_time_hours', label: 'Temps de completion moyen', value: 26.4, format: 'hours' },
      ],
      tables: [
        {
          id: 'requests.by_status',
          title: 'Demandes par statut',
          columns: [
            { key: 'status', label: 'Statut', format: 'text' },
            { key: 'requests', label: 'Demandes', format: 'integer' },
          ],
          rows: [
            { status: 'completed', requests: 3_401 },
            { status: 'in_progress', requests: 388 },
            { status: 'cancelled', requests: 309 },
            { status: 'pending', requests: 212 },
          ],
        },
      ],
      charts: [{ kind: 'pie', title: 'Répartition par statut', table: 'requests.by_status', category: 'status', series: ['requests'] }],
    },
    {
      key: 'financial',
      title: 'Financier',
      data_as_of: asOf,
      figures: [
        { key: 'total_revenue', label: 'Revenus totaux', value: 48_725_300, format: 'xof' },
        { key: 'total_payouts', label: 'Paiements techniciens', value: 41_416_505, format: 'xof' },
        { key: 'platform_fees', label: 'Frais de plateforme', value: 7_308_795, format: 'xof' },
        { key: 'avg_request_value', label: 'Valeur moyenne par demande', value: 14_326.75, format: 'xof' },
        { key: 'payment_success_rate', label: 'Taux de succès des paiements', value: 96.2, format: 'percent' },
      ],
      tables: [
        {
          // One row: a single payment method in the window.
          id: 'financial.payment_methods',
          title: 'Méthodes de paiement',
          columns: [
            { key: 'method', label: 'Méthode', format: 'text' },
            { key: 'count', label: 'Paiements', format: 'integer' },
            { key: 'total', label: 'Montant', format: 'xof' },
          ],
          rows: [{ method: 'Orange Money', count: 3_401, total: 48_725_300 }],
        },
      ],
      charts: [{ kind: 'pie', title: 'Revenus par méthode de paiement', table: 'financial.payment_methods', category: 'method', series: ['total'] }],
    },
    {
      key: 'satisfaction',
      title: 'Satisfaction',
      data_as_of: asOf,
      figures: [
        { key: 'total_reviews', label: 'Total des avis', value: 1_522, format: 'integer' },
        { key: 'avg_rating', label: 'Note moyenne', value: 4.2, format: 'rating' },
        { key: 'satisfaction_rate', label: 'Taux de satisfaction', value: 87.5, format: 'percent' },
        { key: 'recommendation_rate', label: 'Taux de recommandation', value: 81.25, format: 'percent' },
      ],
      tables: [
        {
          id: 'satisfaction.rating_distribution',
          title: 'Répartition des notes',
          columns: [
            { key: 'rating', label: 'Note', format: 'text' },
            { key: 'reviews', label: 'Avis', format: 'integer' },
          ],
          rows: [
            { rating: '1', reviews: 41 },
            { rating: '2', reviews: 63 },
            { rating: '3', reviews: 186 },
            { rating: '4', reviews: 512 },
            { rating: '5', reviews: 720 },
          ],
        },
      ],
      charts: [{ kind: 'bar', title: 'Avis par note', table: 'satisfaction.rating_distribution', category: 'rating', series: ['reviews'] }],
    },
    {
      key: 'technicians',
      title: 'Techniciens',
      data_as_of: asOf,
      figures: [
        { key: 'total', label: 'Total des techniciens', value: 3_187, format: 'integer' },
        { key: 'verified', label: 'Techniciens vérifiés', value: 2_604, format: 'integer' },
        { key: 'available', label: 'Techniciens disponibles', value: 1_129, format: 'integer' },
        { key: 'avg_rating', label: 'Note moyenne', value: 4.1, format: 'rating' },
        { key: 'requests_per_technician', label: 'Demandes par technicien', value: 13.34, format: 'decimal' },
      ],
      tables: [
        {
          id: 'technicians.top_technicians',
          title: 'Meilleurs techniciens',
          columns: [
            { key: 'id', label: 'Id', format: 'integer' },
            { key: 'name', label: 'Nom', format: 'text' },
            { key: 'specialty', label: 'Spécialité', format: 'text' },
            { key: 'total_jobs', label: 'Interventions', format: 'integer' },
            { key: 'avg_rating', label: 'Note moyenne', format: 'rating' },
            { key: 'total_earnings', label: 'Gains', format: 'xof' },
          ],
          rows: [
            { id: 1042, name: 'Moussa Traoré', specialty: 'Plomberie', total_jobs: 214, avg_rating: 4.9, total_earnings: 3_120_500 },
            { id: 877, name: 'Aminata Diarra', specialty: 'Électricité', total_jobs: 198, avg_rating: 4.8, total_earnings: 2_874_000 },
            { id: 1310, name: 'Oumar Coulibaly', specialty: 'Climatisation', total_jobs: 176, avg_rating: 4.7, total_earnings: 3_402_250.5 },
            { id: 455, name: 'Fatoumata Keïta', specialty: 'Serrurerie', total_jobs: 151, avg_rating: 4.7, total_earnings: 1_987_000 },
            { id: 2093, name: 'Ibrahim Sangaré', specialty: 'Menuiserie', total_jobs: 139, avg_rating: 4.6, total_earnings: 2_210_750 },
          ],
        },
      ],
      charts: [{ kind: 'bar', title: 'Interventions des meilleurs techniciens', table: 'technicians.top_technicians', category: 'name', series: ['total_jobs'] }],
    },
    {
      key: 'specialties',
      title: 'Spécialités',
      data_as_of: asOf,
      figures: [],
      tables: [
        {
          id: 'specialties.performance',
          title: 'Performance par spécialité',
          columns: [
            { key: 'specialty_needed', label: 'Spécialité', format: 'text' },
            { key: 'count', label: 'Demandes', format: 'integer' },
            { key: 'completed', label: 'Terminées', format: 'integer' },
            { key: 'success_rate', label: 'Taux de succès', format: 'percent' },
            { key: 'avg_price', label: 'Prix moyen', format: 'xof' },
            { key: 'avg_response_time_hours', label: 'Temps de réponse', format: 'hours' },
          ],
          rows: [
            { specialty_needed: 'Plomberie', count: 1_204, completed: 987, success_rate: 81.98, avg_price: 15_250, avg_response_time_hours: 2.5 },
            { specialty_needed: 'Électricité', count: 1_011, completed: 802, success_rate: 79.33, avg_price: 18_400.5, avg_response_time_hours: 3.1 },
            { specialty_needed: 'Climatisation', count: 866, completed: 640, success_rate: 73.9, avg_price: 27_900, avg_response_time_hours: 5.25 },
            { specialty_needed: 'Serrurerie', count: 512, completed: 455, success_rate: 88.87, avg_price: 9_800, avg_response_time_hours: 1.75 },
            { specialty_needed: 'Menuiserie', count: 401, completed: 301, success_rate: 75.06, avg_price: 21_300, avg_response_time_hours: 6 },
            { specialty_needed: 'Électroménager', count: 316, completed: 216, success_rate: 68.35, avg_price: 12_650, avg_response_time_hours: 4.4 },
          ],
        },
      ],
      charts: [
        { kind: 'bar', title: 'Demandes par spécialité', table: 'specialties.performance', category: 'specialty_needed', series: ['count', 'completed'] },
        { kind: 'radar', title: 'Taux de succès par spécialité (%)', table: 'specialties.performance', category: 'specialty_needed', series: ['success_rate'] },
      ],
    },
    {
      key: 'security',
      title: 'Sécurité',
      data_as_of: asOf,
      figures: [
        { key: 'total_logins', label: 'Connexions réussies', value: 25_871, format: 'integer' },
        { key: 'failed_logins', label: 'Connexions échouées', value: 1_304, format: 'integer' },
        { key: 'security_alerts', label: 'Alertes de sécurité', value: 17, format: 'integer' },
        { key: 'login_success_rate', label: 'Taux de succès des connexions', value: 95.2, format: 'percent' },
      ],
      tables: [
        {
          id: 'security.top_risky_ips',
          title: 'Adresses IP les plus risquées',
          columns: [
            { key: 'ip_address', label: 'Adresse IP', format: 'text' },
            { key: 'events', label: 'Événements', format: 'integer' },
            { key: 'max_risk_score', label: 'Score de risque max', format: 'integer' },
          ],
          rows: [
            { ip_address: '196.200.61.14', events: 23, max_risk_score: 87 },
            { ip_address: '41.73.115.2', events: 11, max_risk_score: 64 },
          ],
        },
        {
          // Zero rows: no risky city in the window; its chart says "Aucune donnée".
          id: 'security.top_risky_cities',
          title: 'Villes les plus risquées',
          columns: [
            { key: 'city', label: 'Ville', format: 'text' },
            { key: 'events', label: 'Événements', format: 'integer' },
          ],
          rows: [],
        },
      ],
      charts: [{ kind: 'bar', title: 'Événements à risque par ville', table: 'security.top_risky_cities', category: 'city', series: ['events'] }],
    },
    {
      key: 'geography',
      title: 'Géographie',
      data_as_of: asOf,
      figures: [],
      tables: [
        {
          id: 'geography.cities',
          title: 'Activité par ville',
          columns: [
            { key: 'city', label: 'Ville', format: 'text' },
            { key: 'requests', label: 'Demandes', format: 'integer' },
            { key: 'completed', label: 'Terminées', format: 'integer' },
            { key: 'revenue', label: 'Revenus', format: 'xof' },
          ],
          rows: [
            { city: 'Bamako', requests: 2_604, completed: 2_101, revenue: 30_118_750 },
            { city: 'Sikasso', requests: 512, completed: 409, revenue: 5_600_400 },
            { city: 'Ségou', requests: 431, completed: 350, revenue: 4_811_250.5 },
            { city: 'Mopti', requests: 298, completed: 231, revenue: 3_104_600 },
            { city: 'Kayes', requests: 251, completed: 199, revenue: 2_786_000 },
            { city: SCRIPT_CITY, requests: 7, completed: 3, revenue: 41_000 },
          ],
        },
      ],
      charts: [{ kind: 'bar', title: 'Demandes par ville', table: 'geography.cities', category: 'city', series: ['requests'] }],
    },
    {
      key: 'trends',
      title: 'Tendances',
      data_as_of: '2026-12-02T08:09:30.000Z',
      figures: [],
      tables: [
        {
          id: 'trends.daily',
          title: `Évolution quotidienne (${DAILY_ROWS} jours)`,
          columns: [
            { key: 'day', label: 'Jour', format: 'date' },
            { key: 'requests', label: 'Demandes', format: 'integer' },
            { key: 'completed', label: 'Terminées', format: 'integer' },
            { key: 'revenue', label: 'Revenus', format: 'xof' },
            { key: 'cumulative_revenue', label: 'Revenus cumulés', format: 'xof' },
            { key: 'new_users', label: 'Nouveaux utilisateurs', format: 'integer' },
            { key: 'reviews', label: 'Avis', format: 'integer' },
            { key: 'avg_rating', label: 'Note moyenne', format: 'rating' },
          ],
          rows: dailyRows(),
        },
        {
          id: 'trends.monthly',
          title: 'Évolution mensuelle',
          columns: [
            { key: 'month', label: 'Mois', format: 'text' },
            { key: 'requests', label: 'Demandes', format: 'integer' },
            { key: 'completed', label: 'Terminées', format: 'integer' },
            { key: 'revenue', label: 'Revenus', format: 'xof' },
          ],
          rows: [
            { month: '2026-08', requests: 1_180, completed: 990, revenue: 12_375_000 },
            { month: '2026-09', requests: 1_402, completed: 1_175, revenue: 14_687_500 },
            { month: '2026-10', requests: 1_630, completed: 1_361, revenue: 17_012_500.5 },
            { month: '2026-11', requests: 1_911, completed: 1_620, revenue: 20_250_000 },
          ],
        },
      ],
      charts: [
        { kind: 'line', title: 'Demandes par jour', table: 'trends.daily', category: 'day', series: ['requests', 'completed'] },
        { kind: 'area', title: 'Revenus cumulés (FCFA)', table: 'trends.daily', category: 'day', series: ['cumulative_revenue'] },
        { kind: 'line', title: 'Revenus par mois (FCFA)', table: 'trends.monthly', category: 'month', series: ['revenue'] },
      ],
    },
    {
      key: 'advanced',
      title: 'Indicateurs avancés',
      data_as_of: asOf,
      figures: [
        { key: 'conversion_rate', label: 'Taux de conversion', value: 62.4, format: 'percent' },
        { key: 'retention_rate', label: 'Taux de rétention', value: 71.05, format: 'percent' },
        { key: 'churn_rate', label: 'Taux de churn', value: 28.95, format: 'percent' },
        { key: 'ltv', label: 'Valeur vie client (LTV)', value: 45_210.5, format: 'xof' },
        { key: 'cac', label: "Coût d'acquisition client (CAC)", value: null, format: 'xof' },
      ],
      tables: [
        {
          id: 'advanced.rates',
          title: 'Taux clés',
          columns: [
            { key: 'indicator', label: 'Indicateur', format: 'text' },
            { key: 'value', label: 'Valeur', format: 'percent' },
          ],
          rows: [
            { indicator: 'Conversion', value: 62.4 },
            { indicator: 'Rétention', value: 71.05 },
            { indicator: 'Churn', value: 28.95 },
            { indicator: 'Satisfaction', value: 87.5 },
            { indicator: 'Succès des paiements', value: 96.2 },
          ],
        },
      ],
      charts: [{ kind: 'radar', title: 'Profil des taux clés (%)', table: 'advanced.rates', category: 'indicator', series: ['value'] }],
    },
  ];
}

/** The sample report; `overrides` replace top-level fields (e.g. filters, sections). */
export function sampleReportModel(overrides: Partial<ReportModel> = {}): ReportModel {
  return {
    title: 'Rapport des statistiques DepanneTeliman',
    generated_at: '2026-12-02T08:15:00.000Z',
    data_as_of: '2026-12-02T08:09:30.000Z',
    filters: { period: '30d', from: null, to: null, city: null, specialty: null },
    period_label: '30 derniers jours',
    sections: sections(),
    ...overrides,
  };
}
