// The report sections (docs/exports.md `sections`) each tab shows: its export holds those and
// nothing else. Kept beside the tabs' own reads (tabs/*.tsx: useSection(<section>)).
import type { Section } from '../../../../libs/metrics/src/types.js';
import type { TabSlug } from '../routing/url-state.js';

export const TAB_SECTIONS: Record<TabSlug, Section[]> = {
  'vue-d-ensemble': ['overview', 'advanced'],
  demandes: ['requests', 'specialties'],
  financier: ['financial'],
  satisfaction: ['satisfaction', 'trends'],
  techniciens: ['technicians'],
  tendances: ['trends'],
  securite: ['security'],
  geographie: ['geography'],
};
