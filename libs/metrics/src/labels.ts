// French names of the raw codes the operational database stores (request statuses, specialties,
// payment methods, user types). The database holds free text (operational-schema.sql): a value not
// listed here is shown as it is stored, never hidden or renamed to "autre", between guillemets
// (« Plomberie ») so that it never looks like a code's name: the app stores both the code `plumber`
// and, from its French form, the typed text "Plomberie", and the statistics keep them apart. One
// list for the web dashboard and the exports (PDF and Excel reports; CSV and JSON keep the codes).

const REQUEST_STATUS: Readonly<Record<string, string>> = {
  draft: 'Brouillon',
  pending: 'En attente',
  assigned: 'Assignée',
  in_progress: 'En cours',
  completed: 'Terminée',
  cancelled: 'Annulée',
};

const SPECIALTY: Readonly<Record<string, string>> = {
  electrician: 'Électricité',
  plumber: 'Plomberie',
  mechanic: 'Mécanique',
  it: 'Informatique',
  air_conditioning: 'Climatisation',
  appliance_repair: 'Électroménager',
  locksmith: 'Serrurerie',
  other: 'Autre',
};

const PAYMENT_METHOD: Readonly<Record<string, string>> = {
  orange_money: 'Orange Money',
  moov_money: 'Moov Money',
  cash: 'Espèces',
  bank_transfer: 'Virement bancaire',
};

/**
 * French names of the statistics' own field names, where a generic view (a dashboard widget drawing
 * any list or map of the API) shows them as series or columns. A field not listed keeps its name.
 */
const FIELD: Readonly<Record<string, string>> = {
  requests: 'Demandes',
  completed: 'Terminées',
  cancelled: 'Annulées',
  pending: 'En attente',
  revenue: 'Revenus',
  new_users: 'Nouveaux utilisateurs',
  count: 'Nombre',
  total: 'Total',
  amount: 'Montant',
  avg_price: 'Prix moyen',
  success_rate: 'Taux de succès (%)',
  avg_response_time_hours: 'Délai de réponse moyen (h)',
  avg_completion_time_hours: 'Durée moyenne (h)',
  reviews: 'Avis',
  avg_rating: 'Note moyenne',
  total_jobs: 'Interventions',
  total_earnings: 'Gains',
  logins: 'Connexions',
  failed_logins: 'Connexions échouées',
};

function lookup(table: Readonly<Record<string, string>>, raw: string): string {
  if (raw === '') return '(vide)';
  return Object.hasOwn(table, raw) ? table[raw]! : `«\u00a0${raw}\u00a0»`;
}

export const statusLabel = (raw: string): string => lookup(REQUEST_STATUS, raw);
export const specialtyLabel = (raw: string): string => lookup(SPECIALTY, raw);
export const paymentMethodLabel = (raw: string): string => lookup(PAYMENT_METHOD, raw);
/**
 * The French name of `raw` when it is a known request status, payment method or specialty code;
 * null otherwise (a day, a month, any other key a generic view meets).
 */
export function knownCodeLabel(raw: string): string | null {
  for (const table of [REQUEST_STATUS, PAYMENT_METHOD, SPECIALTY]) if (Object.hasOwn(table, raw)) return table[raw]!;
  return null;
}

/** A city as stored; the empty string (unknown city) said in words. */
export const cityLabel = (raw: string): string => (raw === '' ? '(ville non précisée)' : raw);
export const fieldLabel = (raw: string): string => (Object.hasOwn(FIELD, raw) ? FIELD[raw]! : raw);
