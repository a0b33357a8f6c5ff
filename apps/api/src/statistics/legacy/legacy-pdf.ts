// The legacy PDF export (legacy-endpoints.md §2) as HTML for the shared Chromium pool: A4 portrait,
// Helvetica, laid out like the original ReportLab canvas (40 pt margins, title bold 16, generation
// time, per section a bold 12 heading and indented "label : value" lines). The original drew a
// single page and lost what ran off its bottom; here the flow continues on the next page, and no
// line is ever cut in two.
import { escapeHtml } from '../../exports/pdf/html.js';
import type { LegacySection } from './legacy-report.js';

/** "DD/MM/YYYY HH:MM:SS" in UTC, as strftime('%d/%m/%Y %H:%M:%S') printed it. */
export function legacyTimestamp(instant: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return (
    `${two(instant.getUTCDate())}/${two(instant.getUTCMonth() + 1)}/${instant.getUTCFullYear()} ` +
    `${two(instant.getUTCHours())}:${two(instant.getUTCMinutes())}:${two(instant.getUTCSeconds())}`
  );
}

/**
 * Page margins: the original drew 40 pt from the page edges. Written in inches (40/72 in): page.pdf()
 * accepts px, in, cm and mm only, and takes anything else for pixels or refuses it.
 */
const FORTY_POINTS = `${40 / 72}in`;
export const LEGACY_PDF_MARGIN = { top: FORTY_POINTS, bottom: FORTY_POINTS, left: FORTY_POINTS, right: FORTY_POINTS };

const STYLE = `
  @page { size: A4 portrait; }
  html, body { margin: 0; padding: 0; }
  body { font-family: Helvetica, Arial, "Liberation Sans", sans-serif; font-size: 10pt; color: #000; }
  h1 { font-size: 16pt; font-weight: bold; margin: 0 0 14pt 0; line-height: 16pt; }
  .generated { margin: 0 0 16pt 0; line-height: 12pt; }
  h2 { font-size: 12pt; font-weight: bold; margin: 0; padding: 10pt 0 6pt 0; line-height: 14pt;
       break-after: avoid; page-break-after: avoid; }
  p.line { margin: 0 0 0 20pt; line-height: 15pt; white-space: pre-wrap; overflow-wrap: anywhere;
           break-inside: avoid; page-break-inside: avoid; }
  section.list p.line { line-height: 13pt; }
`;

export function legacyPdfHtml(sections: LegacySection[], generatedAt: Date): string {
  const body = sections
    .map((section) => {
      const lines = section.rows.map((row) => `<p class="line">${escapeHtml(`${row.label} : ${row.text}`)}</p>`).join('\n');
      return `<section${section.header ? ' class="list"' : ''}>\n<h2>${escapeHtml(section.pdfTitle)}</h2>\n${lines}\n</section>`;
    })
    .join('\n');
  return `<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>Statistiques DepanneTeliman</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Statistiques DepanneTeliman</h1>
<p class="generated">Généré le : ${escapeHtml(legacyTimestamp(generatedAt))}</p>
${body}
</body>
</html>
`;
}
