// French titles of the statistics sections, as the guide's tabs (overview … geography) plus the two
// extra sections: one list for the exports (report titles) and the web app (labels).
import type { Section } from './types.js';

export const SECTION_TITLES: Readonly<Record<Section, string>> = {
  overview: "Vue d'ensemble",
  requests: 'Demandes',
  financial: 'Financier',
  satisfaction: 'Satisfaction',
  technicians: 'Techniciens',
  specialties: 'Spécialités',
  security: 'Sécurité',
  geography: 'Géographie',
  trends: 'Tendances',
  advanced: 'Indicateurs avancés',
};
