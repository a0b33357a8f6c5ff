// A number as a French reader writes it (2 500 000,5: narrow no-break spaces between thousands, a
// decimal comma), at most 2 decimals: in the texts the service writes for people (alert messages,
// rule names). Figures in JSON stay numbers.
const FRENCH = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 2 });

export function frenchNumber(value: number): string {
  return FRENCH.format(value);
}
