// The ReportModel as a printable A4 document (HTML for the browser pool): a cover with the filters
// and freshness, then one section per page group with its figure cards, charts (inline SVG) and
// tables, in French. Rows never split across pages and table headers repeat; the running header
// and the "Page x / y" footer are Chromium's header/footer templates (reportPdfOptions).
import { formatInstant, formatValue, isNumericFormat, PERIOD_NAMES } from '../format-fr.js';
import type { ReportChart, ReportFigure, ReportModel, ReportSection, ReportTable } from '../report-model.js';
import { DEFAULT_MARGIN, type BrowserPool, type PdfRenderOptions } from './browser-pool.js';
import { CHART_FONT, CHART_PALETTE, chartSvg } from './chart-svg.js';
import { escapeHtml } from './html.js';

const BRAND = CHART_PALETTE[0];
const ACCENT = CHART_PALETTE[1];
/** A4 (210 mm) minus the side margins, in CSS pixels (96 per inch): the width a chart may take. */
const CONTENT_WIDTH_PX = Math.floor(((210 - 2 * 14) / 25.4) * 96);
const CHART_SIZE = { width: CONTENT_WIDTH_PX - 4, height: 235 };

const STYLE = `
@page { size: A4; margin: ${DEFAULT_MARGIN.top} ${DEFAULT_MARGIN.right} ${DEFAULT_MARGIN.bottom} ${DEFAULT_MARGIN.left}; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; font-family: ${CHART_FONT}; font-size: 9pt; line-height: 1.35; color: #1f2933; }
h1, h2, h3 { margin: 0; font-weight: bold; }
.cover { padding: 2mm 0 4mm; border-bottom: 1.5pt solid ${BRAND}; margin-bottom: 5mm; }
.brand { font-size: 8.5pt; text-transform: uppercase; color: ${ACCENT}; font-weight: bold; }
.cover h1 { font-size: 22pt; line-height: 1.15; color: ${BRAND}; margin: 3mm 0 2mm; }
.cover .period { font-size: 13pt; color: #33414e; margin: 0 0 4mm; }
.meta { display: grid; grid-template-columns: 38mm 1fr; gap: 1.2mm 4mm; margin: 0; padding: 3.5mm 5mm; background: #f4f6f9; border-radius: 2mm; }
.meta dt { color: #5b6875; }
.meta dd { margin: 0; font-weight: bold; }
.contents { margin: 4mm 0 0; }
.contents h2 { font-size: 10pt; color: #5b6875; text-transform: uppercase; margin-bottom: 1.5mm; }
.contents ol { margin: 0; padding-left: 5mm; columns: 2; column-gap: 10mm; }
.contents li { padding: 0.2mm 0; }
.report-section + .report-section { break-before: page; }
.report-section > header { border-bottom: 1pt solid ${ACCENT}; padding-bottom: 1.5mm; margin-bottom: 4mm; break-after: avoid; }
.report-section h2 { font-size: 16pt; color: ${BRAND}; }
.report-section h2 .number { color: ${ACCENT}; margin-right: 2mm; }
.as-of { font-size: 8pt; color: #5b6875; margin-top: 0.8mm; }
.figures { display: grid; grid-template-columns: repeat(3, 1fr); gap: 3mm; margin-bottom: 5mm; }
.figure { border: 0.75pt solid #d9dfe6; border-left: 2.5pt solid ${BRAND}; border-radius: 1.5mm; padding: 2.2mm 3mm; break-inside: avoid; }
.figure .label { font-size: 7.5pt; color: #5b6875; text-transform: uppercase; }
.figure .value { font-size: 13pt; font-weight: bold; color: #16202a; margin-top: 0.8mm; white-space: nowrap; }
.block { margin-bottom: 6mm; }
.block h3 { font-size: 10.5pt; color: #22303c; margin-bottom: 2mm; break-after: avoid; }
.chart { break-inside: avoid; }
.chart svg { display: block; }
table { width: 100%; border-collapse: collapse; font-size: 8.3pt; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th { background: ${BRAND}; color: #ffffff; text-align: left; font-weight: bold; padding: 1.6mm 2mm; }
td { padding: 1.2mm 2mm; border-bottom: 0.5pt solid #e1e6eb; }
tbody tr:nth-child(even) td { background: #f6f8fa; }
th.number, td.number { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.nowrap { white-space: nowrap; }
td.empty { text-align: center; color: #6b7785; font-style: italic; padding: 3mm; }
.empty-section { color: #6b7785; font-style: italic; }
`;

function figureCard(figure: ReportFigure): string {
  return `<div class="figure"><div class="label">${escapeHtml(figure.label)}</div><div class="value">${escapeHtml(formatValue(figure.value, figure.format))}</div></div>`;
}

function tableHtml(table: ReportTable): string {
  // Numbers right-aligned; numbers and dates never wrap (a row stays one line high).
  const classes = table.columns.map((column) =>
    isNumericFormat(column.format) ? ' class="number"' : column.format === 'date' || column.format === 'instant' ? ' class="nowrap"' : '',
  );
  const head = table.columns.map((column, i) => `<th${classes[i]}>${escapeHtml(column.label)}</th>`).join('');
  const body =
    table.rows.length === 0
      ? `<tr><td class="empty" colspan="${table.columns.length}">Aucune donnée pour ces filtres</td></tr>`
      : table.rows
          .map((row) => {
            const cells = table.columns.map(
              (column, i) => `<td${classes[i]}>${escapeHtml(formatValue(row[column.key] ?? null, column.format))}</td>`,
            );
            return `<tr>${cells.join('')}</tr>`;
          })
          .join('\n');
  return `<div class="block table-block"><h3>${escapeHtml(table.title)}</h3><table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

function chartHtml(chart: ReportChart, section: ReportSection): string {
  const table = section.tables.find((candidate) => candidate.id === chart.table);
  if (!table) throw new Error(`report: chart "${chart.title}" of section ${section.key} draws table ${chart.table}, which the section does not have`);
  return `<div class="block chart"><h3>${escapeHtml(chart.title)}</h3>${chartSvg(chart, table, CHART_SIZE)}</div>`;
}

function sectionHtml(section: ReportSection, index: number): string {
  const asOf = section.data_as_of ? `Données à jour au ${formatInstant(section.data_as_of)}` : 'Aucune donnée ingérée à ce jour';
  const figures = section.figures.length > 0 ? `<div class="figures">${section.figures.map(figureCard).join('')}</div>` : '';
  const charts = section.charts.map((chart) => chartHtml(chart, section)).join('\n');
  const tables = section.tables.map(tableHtml).join('\n');
  const empty = section.figures.length + section.tables.length + section.charts.length === 0 ? '<p class="empty-section">Aucune donnée pour cette section.</p>' : '';
  return `<section class="report-section" id="section-${escapeHtml(section.key)}">
<header><h2><span class="number">${index + 1}.</span>${escapeHtml(section.title)}</h2><div class="as-of">${escapeHtml(asOf)}</div></header>
${figures}
${charts}
${tables}
${empty}
</section>`;
}

function coverHtml(model: ReportModel): string {
  const { filters } = model;
  const rows: Array<[string, string]> = [
    ['Période', PERIOD_NAMES[filters.period] ?? filters.period],
  ];
  if (filters.from || filters.to) {
    rows.push(['Fenêtre', `${filters.from ? `du ${formatInstant(filters.from)}` : 'depuis le début'} ${filters.to ? `au ${formatInstant(filters.to)} (exclu)` : "jusqu'à maintenant"}`]);
  }
  rows.push(['Ville', filters.city ?? 'Toutes les villes']);
  rows.push(['Spécialité', filters.specialty ?? 'Toutes les spécialités']);
  rows.push(['Données à jour au', model.data_as_of ? formatInstant(model.data_as_of) : 'aucune donnée ingérée à ce jour']);
  rows.push(['Généré le', formatInstant(model.generated_at)]);
  const meta = rows.map(([label, value]) => `<dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value)}</dd>`).join('');
  const contents = model.sections.map((section) => `<li>${escapeHtml(section.title)}</li>`).join('');
  return `<header class="cover">
<div class="brand">DepanneTeliman · Statistiques</div>
<h1>${escapeHtml(model.title)}</h1>
<p class="period">${escapeHtml(model.period_label)}</p>
<dl class="meta">${meta}</dl>
${model.sections.length > 0 ? `<nav class="contents"><h2>Sommaire</h2><ol>${contents}</ol></nav>` : ''}
</header>`;
}

/** The whole report as one self-contained HTML document (no script, no external resource). */
export function reportHtml(model: ReportModel): string {
  return documentHtml(model, model.sections.map(sectionHtml));
}

function documentHtml(model: ReportModel, sections: string[]): string {
  return `<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>${escapeHtml(model.title)}</title>
<style>${STYLE}</style>
</head>
<body>
${coverHtml(model)}
${sections.join('\n')}
</body>
</html>
`;
}

// Header and footer templates run in their own tiny document: styles must be inline, and the
// default font size there is too small to read. The outer box spans the paper; its padding is the
// page's side margins, so the text lines up with the body.
const MARGIN_BOX = `width: 100%; box-sizing: border-box; padding: 0 ${DEFAULT_MARGIN.right} 0 ${DEFAULT_MARGIN.left}; font-family: ${CHART_FONT}; font-size: 7.5pt; color: #5b6875; -webkit-print-color-adjust: exact;`;
const MARGIN_LINE = 'display: flex; justify-content: space-between; gap: 8mm;';

/** Running header (title and period), footer (generation time, "Page x / y"), A4 portrait margins. */
export function reportPdfOptions(model: ReportModel): PdfRenderOptions {
  const header =
    `<div style="${MARGIN_BOX}"><div style="${MARGIN_LINE} padding-bottom: 1.5mm; border-bottom: 0.5pt solid #d0d7de;">` +
    `<span style="font-weight: bold; color: ${BRAND}; white-space: nowrap; flex: none;">${escapeHtml(model.title)}</span>` +
    // One line: a long label (custom window, city, specialty) is cut with "…" here, the cover has it whole.
    `<span style="min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap;">${escapeHtml(model.period_label)}</span></div></div>`;
  const footer =
    `<div style="${MARGIN_BOX}"><div style="${MARGIN_LINE}">` +
    `<span>Généré le ${escapeHtml(formatInstant(model.generated_at))}</span>` +
    `<span style="white-space: nowrap;">Page <span class="pageNumber"></span> / <span class="totalPages"></span></span></div></div>`;
  return { headerTemplate: header, footerTemplate: footer, landscape: false, margin: { ...DEFAULT_MARGIN } };
}

/**
 * The report's PDF. Charts are drawn synchronously (ECharts SSR, ~25 ms each): the event loop gets a
 * turn between sections, so live requests and sockets wait for one section at most, not the report.
 */
export async function renderReportPdf(pool: BrowserPool, model: ReportModel): Promise<Buffer> {
  const sections: string[] = [];
  for (const [index, section] of model.sections.entries()) {
    await new Promise((resolve) => setImmediate(resolve));
    sections.push(sectionHtml(section, index));
  }
  return pool.render(documentHtml(model, sections), reportPdfOptions(model));
}
