// Codes get their French names; free text typed into the operational database is shown as stored,
// marked so that it never looks like a code's name (the code `plumber` and the text "Plomberie"
// are two rows of the statistics, and must read as two).
import { describe, expect, it } from 'vitest';
import { paymentMethodLabel, specialtyLabel, statusLabel } from '../../libs/metrics/src/labels.js';

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
});
