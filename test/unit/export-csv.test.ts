// CSV writing rules of the exports: RFC 4180 quoting, CRLF, formula-like text neutralised.
import { describe, expect, it } from 'vitest';
import { csvField, csvLine } from '../../apps/api/src/exports/render/csv.js';

describe('csv', () => {
  it('quotes fields with commas, quotes and line breaks (RFC 4180)', () => {
    expect(csvLine(['a', 'b,c', 'say "hi"', 'two\nlines', 3, null, true])).toBe('a,"b,c","say ""hi""","two\nlines",3,,true\r\n');
  });

  it('neutralises text a spreadsheet would run as a formula, not numbers', () => {
    expect(csvField('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvField('+33')).toBe("'+33");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('-5 ans')).toBe("'-5 ans");
    expect(csvField(-5)).toBe('-5');
    expect(csvField('Ségou')).toBe('Ségou');
  });
});
