// Codes get their French names; free text typed into the operational database is shown as stored,
// marked so that it never looks like a code's name (the code `plumber` and the text "Plomberie"
// are two rows of the statistics, and must read as two).
import { describe, expect, it } from 'vitest';
import { formatCategory } from '../../apps/dashboard/src/format/fr.js';
import { knownCodeLabel, paymentMethodLabel, specialtyLabel, statusLabel } from '../../libs/metrics/src/labels.js';

describe('labels of stored codes', () => {
  it('names the known codes in French', () => {
    expect(specialtyLabel('plumber')).toBe('Plomberie');
    expect(statusLabel('in_progress')).toBe('En cours');
    expect(paymentMethodLabel('orange_money')).toBe('Orange Money');
  });

  it('shows free text as stored between guillemets, never as a code’s name, and the empty value in words', () => {
    expect(specialtyLabel('Plomberie')).toBe('«\u00a0Plomberie\u00a0»');
    expect(specialtyLabel('Plomberie')).not.toBe(specialtyLabel('plumber'));
    expect(statusLabel('on_hold')).toBe('«\u00a0on_hold\u00a0»');
    expect(specialtyLabel('')).toBe('(vide)');
    // Inherited object keys are not codes.
    expect(specialtyLabel('constructor')).toBe('«\u00a0constructor\u00a0»');
  });

  it('tells a known code from any other key (a widget\'s categories: codes by name, days as dates)', () => {
    expect(knownCodeLabel('completed')).toBe('Terminée');
    expect(knownCodeLabel('orange_money')).toBe('Orange Money');
    expect(knownCodeLabel('2026-11-26')).toBeNull();
    expect(knownCodeLabel('constructor')).toBeNull();
    expect(formatCategory('2026-11-26')).toBe('26 nov. 2026');
    expect(formatCategory('2026-11')).toBe('nov. 2026');
    expect(formatCategory('plumber')).toBe('Plomberie');
    expect(formatCategory('Semaine 48')).toBe('Semaine 48');
  });
});
