// French words for the alert API's codes (docs/alerts.md): metrics, severities, statuses,
// comparisons, windows, kinds, groups. An unknown code is shown as it is.
import type { AlertComparison, AlertKind, AlertMetric, AlertSeverity, AlertStatus, AlertWindow, AnomalyGroup } from '../../../../libs/metrics/src/alerts.js';

export const METRIC_LABELS: Record<AlertMetric, string> = {
  requests: 'Demandes créées',
  revenue: 'Revenus (FCFA)',
  failure_rate: 'Taux d\'échec (%)',
  failed_logins: 'Connexions échouées',
};
export const SEVERITY_LABELS: Record<AlertSeverity, string> = { info: 'Info', warning: 'Avertissement', critical: 'Critique' };
export const STATUS_LABELS: Record<AlertStatus, string> = { open: 'Ouverte', acknowledged: 'Prise en compte', resolved: 'Résolue' };
export const COMPARISON_LABELS: Record<AlertComparison, string> = { gt: 'au-dessus de (>)', gte: 'au moins (≥)', lt: 'en dessous de (<)', lte: 'au plus (≤)' };
export const WINDOW_LABELS: Record<AlertWindow, string> = { '1h': '1 heure', '24h': '24 heures', '7d': '7 jours', '30d': '30 jours' };
export const KIND_LABELS: Record<AlertKind, string> = { threshold: 'Seuil', anomaly: 'Anomalie (saisonnière)' };
export const GROUP_LABELS: Record<AnomalyGroup, string> = { city: 'Par ville', specialty: 'Par spécialité' };

export function label<K extends string>(labels: Record<K, string>, code: string): string {
  return (labels as Record<string, string>)[code] ?? code;
}
