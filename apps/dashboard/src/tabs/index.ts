// The guide's 8 tabs, by their address (routing/url-state.ts TABS gives their order and names).
import type { ComponentType } from 'react';
import type { TabSlug } from '../routing/url-state.js';
import { FinancialTab } from './financial-tab.js';
import { GeographyTab } from './geography-tab.js';
import { OverviewTab } from './overview-tab.js';
import { RequestsTab } from './requests-tab.js';
import { SatisfactionTab } from './satisfaction-tab.js';
import { SecurityTab } from './security-tab.js';
import { TechniciansTab } from './technicians-tab.js';
import { TrendsTab } from './trends-tab.js';

export const TAB_PANELS: Record<TabSlug, ComponentType> = {
  'vue-d-ensemble': OverviewTab,
  demandes: RequestsTab,
  financier: FinancialTab,
  satisfaction: SatisfactionTab,
  techniciens: TechniciansTab,
  tendances: TrendsTab,
  securite: SecurityTab,
  geographie: GeographyTab,
};
