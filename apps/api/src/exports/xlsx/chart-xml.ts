// The XML of native Excel charts (DrawingML), as pure functions of a chart description: A1 ranges
// and sheet-qualified formulas, the chart part, the drawing anchors that place it, relationships,
// content types, and the <drawing> element a worksheet needs. No I/O here, so each builder is
// checked on its own (test/unit/xlsx-chart-xml.test.ts) and xlsx-package.ts only moves bytes.

export type XlsxChartKind = 'line' | 'bar' | 'pie' | 'area' | 'radar';

export interface XlsxChartSeries {
  /** Series name shown in the legend; written as a literal, or a cell ref if nameRef given. */
  name: string;
  /** Absolute-able A1 range on the chart's own sheet holding the values, one column: e.g. 'C5:C11'. */
  values: string;
  /** Optional A1 cell on the chart's own sheet holding the name (e.g. 'C4'): the legend follows edits of it. */
  nameRef?: string;
}

export interface XlsxChart {
  kind: XlsxChartKind;
  title: string;
  /** A1 range (one column) of category labels on the same sheet, e.g. 'B5:B11'. */
  categories: string;
  series: XlsxChartSeries[];
  /** Where the chart sits: top-left cell (0-based column and row) and size in columns/rows. */
  anchor: { col: number; row: number; cols: number; rows: number };
  /** Excel number format code of the value axis/labels, e.g. '#,##0 "XOF"' or '0.00" %"'. Optional. */
  numberFormat?: string;
  /**
   * Number format of numeric categories (dates: 'dd/mm/yyyy'): the categories are then read as
   * numbers and shown in this format; without it they are read as text (a date cell would show
   * its serial number in LibreOffice).
   */
  categoryFormat?: string;
}

export const NS = {
  chart: 'http://schemas.openxmlformats.org/drawingml/2006/chart',
  drawingMain: 'http://schemas.openxmlformats.org/drawingml/2006/main',
  spreadsheetDrawing: 'http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing',
  relationships: 'http://schemas.openxmlformats.org/officeDocument/2006/relationships',
  packageRelationships: 'http://schemas.openxmlformats.org/package/2006/relationships',
} as const;

export const REL_TYPE = {
  drawing: `${NS.relationships}/drawing`,
  chart: `${NS.relationships}/chart`,
} as const;

export const CONTENT_TYPE = {
  chart: 'application/vnd.openxmlformats-officedocument.drawingml.chart+xml',
  drawing: 'application/vnd.openxmlformats-officedocument.drawing+xml',
  relationships: 'application/vnd.openxmlformats-package.relationships+xml',
} as const;

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';

/**
 * Series colours, set explicitly on every series (and pie slice) so Excel and LibreOffice draw the
 * same palette instead of each applying its own theme. Saturated on purpose: none is a grey, so a
 * rendered page can tell chart pixels from text and grid lines.
 */
export const SERIES_COLORS = ['1F77B4', 'FF7F0E', '2CA02C', 'D62728', '9467BD', '8C564B', 'E377C2', '17BECF', 'BCBD22', '393B79'] as const;

/** Opacity (percent) of an area series' fill. */
export const AREA_FILL_ALPHA = 60;

export function seriesColor(index: number): string {
  return SERIES_COLORS[index % SERIES_COLORS.length]!;
}

// ---------------------------------------------------------------------------------------------
// Escaping

// Characters XML 1.0 cannot carry at all (not even as references): a title holding one would make
// the whole workbook unreadable, so it is refused with the offending text named.
// eslint-disable-next-line no-control-regex
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

function checkXmlText(text: string, what: string): void {
  if (INVALID_XML_CHARS.test(text)) throw new Error(`${what}: ${JSON.stringify(text)} contains a control character that XML cannot hold`);
}

export function escapeXml(text: string): string {
  checkXmlText(text, 'Text');
  // Apostrophes stay as they are: every attribute here is double-quoted, and formulas stay readable.
  return text.replace(/[&<>"]/g, (ch) => {
    switch (ch) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      default:
        return '&quot;';
    }
  });
}

export function decodeXmlText(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_match, entity: string) => {
    switch (entity) {
      case 'amp':
        return '&';
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default:
        return String.fromCodePoint(entity.startsWith('#x') ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10));
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Ranges

const MAX_COLUMN = 16_384; // XFD
const MAX_ROW = 1_048_576;

/** A one-column block of cells, 1-based like A1 notation. */
export interface ColumnRange {
  column: number;
  firstRow: number;
  lastRow: number;
}

export function columnNumber(letters: string): number {
  let value = 0;
  for (const ch of letters.toUpperCase()) value = value * 26 + (ch.charCodeAt(0) - 64);
  return value;
}

export function columnLetters(column: number): string {
  let letters = '';
  for (let rest = column; rest > 0; rest = Math.floor((rest - 1) / 26)) {
    letters = String.fromCharCode(65 + ((rest - 1) % 26)) + letters;
  }
  return letters;
}

const CELL = /^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$/;

/** A1 cell ('C5' or '$C$5') to 1-based column and row; undefined when it is not one. */
export function parseCell(text: string): { column: number; row: number } | undefined {
  const match = CELL.exec(text.trim());
  if (!match) return undefined;
  const column = columnNumber(match[1]!);
  const row = Number(match[2]);
  if (column < 1 || column > MAX_COLUMN || row < 1 || row > MAX_ROW) return undefined;
  return { column, row };
}

/**
 * Parses a one-column A1 range ('C5:C11', '$C$5:$C$11', or one cell 'C5'). `what` names the range in
 * the error, since a chart has several and the caller's mistake should be found without a debugger.
 */
export function parseColumnRange(text: string, what: string): ColumnRange {
  const parts = text.split(':');
  const first = parts.length <= 2 ? parseCell(parts[0] ?? '') : undefined;
  const last = parts.length === 2 ? parseCell(parts[1]!) : first;
  if (!first || !last) {
    throw new Error(`${what}: ${JSON.stringify(text)} is not an A1 range like "C5:C11" (no sheet name; the chart's own sheet is used)`);
  }
  if (first.column !== last.column) {
    throw new Error(`${what}: ${JSON.stringify(text)} spans several columns; a chart range is one column`);
  }
  if (first.row > last.row) {
    throw new Error(`${what}: ${JSON.stringify(text)} ends above where it starts`);
  }
  return { column: first.column, firstRow: first.row, lastRow: last.row };
}

export function rangeLength(range: ColumnRange): number {
  return range.lastRow - range.firstRow + 1;
}

/** Sheet names are always quoted (valid for any name) with apostrophes doubled, as in Excel formulas. */
export function quoteSheetName(sheet: string): string {
  return `'${sheet.replace(/'/g, "''")}'`;
}

/** The formula of a range in a chart's c:f: 'Sheet name'!$B$5:$B$11 (absolute, so it never shifts). */
export function rangeFormula(sheet: string, range: ColumnRange): string {
  const column = columnLetters(range.column);
  const first = `$${column}$${range.firstRow}`;
  const target = range.firstRow === range.lastRow ? first : `${first}:$${column}$${range.lastRow}`;
  return `${quoteSheetName(sheet)}!${target}`;
}

// ---------------------------------------------------------------------------------------------
// Validation

export interface ParsedChart {
  chart: XlsxChart;
  categories: ColumnRange;
  series: Array<{ values: ColumnRange; nameCell: ColumnRange | undefined }>;
}

/** Checks one chart description and parses its ranges; throws an Error naming the chart and the fault. */
export function parseChart(chart: XlsxChart, where: string): ParsedChart {
  const label = `${where}, chart ${JSON.stringify(chart.title)}`;
  if (!['line', 'bar', 'pie', 'area', 'radar'].includes(chart.kind)) {
    throw new Error(`${label}: unknown kind ${JSON.stringify(chart.kind)}`);
  }
  checkXmlText(chart.title, `${label}, title`);
  if (chart.series.length === 0) throw new Error(`${label}: no series`);
  if (chart.kind === 'pie' && chart.series.length !== 1) {
    throw new Error(`${label}: a pie chart draws exactly one series, got ${chart.series.length}`);
  }
  const { col, row, cols, rows } = chart.anchor;
  const anchorOk =
    [col, row, cols, rows].every((n) => Number.isInteger(n)) && col >= 0 && row >= 0 && cols >= 1 && rows >= 1 && col + cols <= MAX_COLUMN && row + rows <= MAX_ROW;
  if (!anchorOk) {
    throw new Error(`${label}: anchor ${JSON.stringify(chart.anchor)} needs integers col, row >= 0 and cols, rows >= 1`);
  }
  if (chart.categoryFormat !== undefined) {
    if (chart.categoryFormat.trim() === '') throw new Error(`${label}: categoryFormat is empty`);
    checkXmlText(chart.categoryFormat, `${label}, categoryFormat`);
  }
  if (chart.numberFormat !== undefined) {
    if (chart.numberFormat.trim() === '') throw new Error(`${label}: numberFormat is empty`);
    checkXmlText(chart.numberFormat, `${label}, numberFormat`);
  }
  const categories = parseColumnRange(chart.categories, `${label}, categories`);
  const series = chart.series.map((serie, index) => {
    const serieLabel = `${label}, series ${index + 1} (${JSON.stringify(serie.name)})`;
    checkXmlText(serie.name, `${serieLabel}, name`);
    const values = parseColumnRange(serie.values, `${serieLabel}, values`);
    if (rangeLength(values) !== rangeLength(categories)) {
      throw new Error(`${serieLabel}: values ${serie.values} hold ${rangeLength(values)} cells but categories ${chart.categories} hold ${rangeLength(categories)}`);
    }
    let nameCell: ColumnRange | undefined;
    if (serie.nameRef !== undefined) {
      nameCell = parseColumnRange(serie.nameRef, `${serieLabel}, nameRef`);
      if (rangeLength(nameCell) !== 1) throw new Error(`${serieLabel}: nameRef ${serie.nameRef} must be one cell`);
    }
    return { values, nameCell };
  });
  return { chart, categories, series };
}

// ---------------------------------------------------------------------------------------------
// Chart part (xl/charts/chartN.xml)

/** The sheet's current values, written as the chart's caches: what a viewer that does not recalculate shows. */
export interface ChartCache {
  /** Category label per point; null for an empty cell. */
  categories: Array<string | null>;
  series: Array<{
    /** The legend text: the literal name, or the current text of the nameRef cell. */
    name: string;
    /** Number as written in the sheet (e.g. '1000.5') per point; null where the cell is empty or not a number. */
    values: Array<string | null>;
  }>;
}

function solidFill(color: string): string {
  return `<a:solidFill><a:srgbClr val="${color}"/></a:solidFill>`;
}

function lineProperties(color: string, widthEmu: number): string {
  return `<a:ln w="${widthEmu}" cap="rnd">${solidFill(color)}<a:round/></a:ln>`;
}

function strCache(points: Array<string | null>): string {
  const pts = points.map((text, idx) => (text === null ? '' : `<c:pt idx="${idx}"><c:v>${escapeXml(text)}</c:v></c:pt>`)).join('');
  return `<c:strCache><c:ptCount val="${points.length}"/>${pts}</c:strCache>`;
}

function numCache(points: Array<string | null>, formatCode: string): string {
  const pts = points.map((value, idx) => (value === null ? '' : `<c:pt idx="${idx}"><c:v>${escapeXml(value)}</c:v></c:pt>`)).join('');
  return `<c:numCache><c:formatCode>${escapeXml(formatCode)}</c:formatCode><c:ptCount val="${points.length}"/>${pts}</c:numCache>`;
}

function richText(text: string, sizeHundredths: number, bold: boolean): string {
  const b = bold ? '1' : '0';
  return (
    `<c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz="${sizeHundredths}" b="${b}"/></a:pPr>` +
    `<a:r><a:rPr lang="fr-FR" sz="${sizeHundredths}" b="${b}"/><a:t>${escapeXml(text)}</a:t></a:r></a:p></c:rich>`
  );
}

function marker(color: string): string {
  return `<c:marker><c:symbol val="circle"/><c:size val="6"/><c:spPr>${solidFill(color)}<a:ln w="9525">${solidFill(color)}</a:ln></c:spPr></c:marker>`;
}

const CAT_AX_ID = 509_100_001;
const VAL_AX_ID = 509_100_002;

function axes(numberFormat: string | undefined, kind: XlsxChartKind, categoryFormat?: string): string {
  const gridColor = 'D9D9D9';
  const catFmt = categoryFormat === undefined ? '<c:numFmt formatCode="General" sourceLinked="1"/>' : `<c:numFmt formatCode="${escapeXml(categoryFormat)}" sourceLinked="0"/>`;
  const numFmt =
    numberFormat === undefined ? '<c:numFmt formatCode="General" sourceLinked="1"/>' : `<c:numFmt formatCode="${escapeXml(numberFormat)}" sourceLinked="0"/>`;
  const catAx =
    `<c:catAx><c:axId val="${CAT_AX_ID}"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/>` +
    `<c:axPos val="b"/>${kind === 'radar' ? `<c:majorGridlines><c:spPr><a:ln w="9525">${solidFill(gridColor)}</a:ln></c:spPr></c:majorGridlines>` : ''}` +
    `${catFmt}<c:majorTickMark val="out"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>` +
    `<c:crossAx val="${VAL_AX_ID}"/><c:crosses val="autoZero"/><c:auto val="1"/><c:lblAlgn val="ctr"/><c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>`;
  const valAx =
    `<c:valAx><c:axId val="${VAL_AX_ID}"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/>` +
    `<c:axPos val="l"/><c:majorGridlines><c:spPr><a:ln w="9525">${solidFill(gridColor)}</a:ln></c:spPr></c:majorGridlines>` +
    `${numFmt}<c:majorTickMark val="${kind === 'radar' ? 'cross' : 'out'}"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>` +
    `<c:crossAx val="${CAT_AX_ID}"/><c:crosses val="autoZero"/><c:crossBetween val="${kind === 'area' ? 'midCat' : 'between'}"/></c:valAx>`;
  return catAx + valAx;
}

/**
 * The chart part: one c:chartSpace whose series reference the sheet's cells (c:f), with caches of the
 * current values. Element order follows the CT_* sequences of the DrawingML chart schema (Excel
 * refuses a file whose children are out of order).
 */
export function chartSpaceXml(parsed: ParsedChart, sheet: string, cache: ChartCache): string {
  const { chart } = parsed;
  const pointCount = rangeLength(parsed.categories);
  if (cache.categories.length !== pointCount || cache.series.length !== parsed.series.length || cache.series.some((s) => s.values.length !== pointCount)) {
    throw new Error(`Chart ${JSON.stringify(chart.title)}: the cached values do not match its ranges`);
  }
  const formatCode = chart.numberFormat ?? 'General';
  const categoriesFormula = escapeXml(rangeFormula(sheet, parsed.categories));
  const categoriesXml =
    chart.categoryFormat === undefined
      ? `<c:cat><c:strRef><c:f>${categoriesFormula}</c:f>${strCache(cache.categories)}</c:strRef></c:cat>`
      : `<c:cat><c:numRef><c:f>${categoriesFormula}</c:f>${numCache(cache.categories, chart.categoryFormat)}</c:numRef></c:cat>`;

  const seriesXml = parsed.series
    .map((serie, index) => {
      const color = seriesColor(index);
      const serieCache = cache.series[index]!;
      const tx =
        serie.nameCell === undefined
          ? `<c:tx><c:v>${escapeXml(serieCache.name)}</c:v></c:tx>`
          : `<c:tx><c:strRef><c:f>${escapeXml(rangeFormula(sheet, serie.nameCell))}</c:f>${strCache([serieCache.name])}</c:strRef></c:tx>`;
      const valuesXml = `<c:val><c:numRef><c:f>${escapeXml(rangeFormula(sheet, serie.values))}</c:f>${numCache(serieCache.values, formatCode)}</c:numRef></c:val>`;
      const head = `<c:ser><c:idx val="${index}"/><c:order val="${index}"/>${tx}`;
      switch (chart.kind) {
        case 'line':
          return `${head}<c:spPr>${lineProperties(color, 28_575)}</c:spPr>${marker(color)}${categoriesXml}${valuesXml}<c:smooth val="0"/></c:ser>`;
        case 'radar':
          return `${head}<c:spPr>${lineProperties(color, 28_575)}</c:spPr>${marker(color)}${categoriesXml}${valuesXml}</c:ser>`;
        case 'bar':
          return `${head}<c:spPr>${solidFill(color)}</c:spPr><c:invertIfNegative val="0"/>${categoriesXml}${valuesXml}</c:ser>`;
        case 'area':
          // See-through fill with an opaque edge: Excel draws the first series at the back and
          // LibreOffice at the front, so an opaque area could hide a smaller one in either.
          return `${head}<c:spPr><a:solidFill><a:srgbClr val="${color}"><a:alpha val="${AREA_FILL_ALPHA * 1000}"/></a:srgbClr></a:solidFill>${lineProperties(color, 22_225)}</c:spPr>${categoriesXml}${valuesXml}</c:ser>`;
        case 'pie': {
          // One colour per slice: the legend of a pie lists categories, not series.
          const slices = Array.from(
            { length: pointCount },
            (_unused, idx) =>
              `<c:dPt><c:idx val="${idx}"/><c:bubble3D val="0"/><c:spPr>${solidFill(seriesColor(idx))}<a:ln w="12700">${solidFill('FFFFFF')}</a:ln></c:spPr></c:dPt>`,
          ).join('');
          const labels =
            '<c:dLbls><c:numFmt formatCode="0%" sourceLinked="0"/><c:spPr><a:noFill/><a:ln><a:noFill/></a:ln></c:spPr><c:dLblPos val="bestFit"/>' +
            '<c:showLegendKey val="0"/><c:showVal val="0"/><c:showCatName val="0"/><c:showSerName val="0"/><c:showPercent val="1"/>' +
            '<c:showBubbleSize val="0"/><c:showLeaderLines val="1"/></c:dLbls>';
          return `${head}${slices}${labels}${categoriesXml}${valuesXml}</c:ser>`;
        }
      }
    })
    .join('');

  const axIds = `<c:axId val="${CAT_AX_ID}"/><c:axId val="${VAL_AX_ID}"/>`;
  let plot: string;
  switch (chart.kind) {
    case 'line':
      plot = `<c:lineChart><c:grouping val="standard"/><c:varyColors val="0"/>${seriesXml}<c:marker val="1"/>${axIds}</c:lineChart>${axes(chart.numberFormat, chart.kind, chart.categoryFormat)}`;
      break;
    case 'bar':
      plot =
        `<c:barChart><c:barDir val="col"/><c:grouping val="clustered"/><c:varyColors val="0"/>${seriesXml}` +
        `<c:gapWidth val="150"/>${axIds}</c:barChart>${axes(chart.numberFormat, chart.kind, chart.categoryFormat)}`;
      break;
    case 'area':
      plot = `<c:areaChart><c:grouping val="standard"/><c:varyColors val="0"/>${seriesXml}${axIds}</c:areaChart>${axes(chart.numberFormat, chart.kind, chart.categoryFormat)}`;
      break;
    case 'radar':
      plot = `<c:radarChart><c:radarStyle val="marker"/><c:varyColors val="0"/>${seriesXml}${axIds}</c:radarChart>${axes(chart.numberFormat, chart.kind, chart.categoryFormat)}`;
      break;
    case 'pie':
      plot = `<c:pieChart><c:varyColors val="1"/>${seriesXml}<c:firstSliceAng val="0"/></c:pieChart>`;
      break;
  }

  const title =
    chart.title === '' ? '<c:autoTitleDeleted val="1"/>' : `<c:title><c:tx>${richText(chart.title, 1400, true)}</c:tx><c:overlay val="0"/></c:title><c:autoTitleDeleted val="0"/>`;
  return (
    XML_DECLARATION +
    `<c:chartSpace xmlns:c="${NS.chart}" xmlns:a="${NS.drawingMain}" xmlns:r="${NS.relationships}">` +
    // roundedCorners defaults to true when absent: Excel would draw a rounded frame.
    `<c:date1904 val="0"/><c:lang val="fr-FR"/><c:roundedCorners val="0"/>` +
    `<c:chart>${title}<c:plotArea><c:layout/>${plot}</c:plotArea>` +
    `<c:legend><c:legendPos val="b"/><c:overlay val="0"/></c:legend><c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart>` +
    `<c:spPr>${solidFill('FFFFFF')}<a:ln w="9525">${solidFill('D9D9D9')}</a:ln></c:spPr>` +
    `</c:chartSpace>`
  );
}

// ---------------------------------------------------------------------------------------------
// Drawing part (xl/drawings/drawingN.xml)

export interface ChartFrame {
  anchor: XlsxChart['anchor'];
  /** cNvPr id: unique among the drawing's shapes. */
  shapeId: number;
  name: string;
  /** Id of the drawing's relationship to the chart part. */
  relId: string;
}

/**
 * One xdr:twoCellAnchor holding a graphic frame that points at a chart. The namespaces are declared
 * on the anchor itself, so it can be appended to a drawing written by someone else (exceljs' picture
 * drawings do not declare the r: prefix at their root).
 */
export function chartAnchorXml(frame: ChartFrame): string {
  const { col, row, cols, rows } = frame.anchor;
  const corner = (c: number, r: number): string =>
    `<xdr:col>${c}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>${r}</xdr:row><xdr:rowOff>0</xdr:rowOff>`;
  return (
    `<xdr:twoCellAnchor xmlns:xdr="${NS.spreadsheetDrawing}" xmlns:a="${NS.drawingMain}">` +
    `<xdr:from>${corner(col, row)}</xdr:from><xdr:to>${corner(col + cols, row + rows)}</xdr:to>` +
    `<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="${frame.shapeId}" name="${escapeXml(frame.name)}"/>` +
    `<xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr><xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>` +
    `<a:graphic><a:graphicData uri="${NS.chart}"><c:chart xmlns:c="${NS.chart}" xmlns:r="${NS.relationships}" r:id="${escapeXml(frame.relId)}"/>` +
    `</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor>`
  );
}

export function drawingXml(frames: ChartFrame[]): string {
  return XML_DECLARATION + `<xdr:wsDr xmlns:xdr="${NS.spreadsheetDrawing}" xmlns:a="${NS.drawingMain}">${frames.map(chartAnchorXml).join('')}</xdr:wsDr>`;
}

/** Appends chart anchors to an existing drawing part (e.g. exceljs' pictures) before its root's end tag. */
export function appendToDrawingXml(existing: string, frames: ChartFrame[]): string {
  const end = /<\/(?:[A-Za-z_][\w.-]*:)?wsDr\s*>\s*$/.exec(existing);
  if (!end) throw new Error('The existing drawing part has no closing wsDr element');
  return existing.slice(0, end.index) + frames.map(chartAnchorXml).join('') + existing.slice(end.index);
}

/** Highest cNvPr id already used in a drawing, so new shapes do not reuse one. */
export function maxShapeId(drawing: string): number {
  let max = 1;
  for (const match of drawing.matchAll(/<(?:[\w.-]+:)?cNvPr\b[^>]*?\sid\s*=\s*["']([0-9]+)["']/g)) {
    max = Math.max(max, Number(match[1]));
  }
  return max;
}

// ---------------------------------------------------------------------------------------------
// Relationships and content types

export interface Relationship {
  id: string;
  type: string;
  target: string;
  targetMode?: string;
}

// A start tag, allowing '>' inside quoted attribute values.
function startTags(xml: string, localName: string): string[] {
  const pattern = new RegExp(`<(?:[A-Za-z_][\\w.-]*:)?${localName}(?=[\\s/>])(?:[^>"']|"[^"]*"|'[^']*')*>`, 'g');
  return xml.match(pattern) ?? [];
}

/** Attributes of a start tag, by qualified name, with entities decoded. */
export function tagAttributes(tag: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const match of tag.matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    attributes.set(match[1]!, decodeXmlText(match[2] ?? match[3] ?? ''));
  }
  return attributes;
}

export function elementsAttributes(xml: string, localName: string): Array<Map<string, string>> {
  return startTags(xml, localName).map(tagAttributes);
}

export function parseRelationships(xml: string): Relationship[] {
  return elementsAttributes(xml, 'Relationship').map((attributes) => {
    const id = attributes.get('Id');
    const type = attributes.get('Type');
    const target = attributes.get('Target');
    if (id === undefined || type === undefined || target === undefined) {
      throw new Error('A Relationship element lacks Id, Type or Target');
    }
    const targetMode = attributes.get('TargetMode');
    return targetMode === undefined ? { id, type, target } : { id, type, target, targetMode };
  });
}

function relationshipXml(rel: Relationship): string {
  const mode = rel.targetMode === undefined ? '' : ` TargetMode="${escapeXml(rel.targetMode)}"`;
  return `<Relationship Id="${escapeXml(rel.id)}" Type="${escapeXml(rel.type)}" Target="${escapeXml(rel.target)}"${mode}/>`;
}

export function relationshipsXml(rels: Relationship[]): string {
  return XML_DECLARATION + `<Relationships xmlns="${NS.packageRelationships}">${rels.map(relationshipXml).join('')}</Relationships>`;
}

/** Adds relationships to an existing .rels part, keeping what is there byte for byte. */
export function appendRelationships(existing: string, rels: Relationship[]): string {
  const added = rels.map(relationshipXml).join('');
  const end = existing.lastIndexOf('</Relationships>');
  if (end >= 0) return existing.slice(0, end) + added + existing.slice(end);
  const empty = /<Relationships\b([^>]*)\/>/.exec(existing);
  if (!empty) throw new Error('A relationships part has no Relationships element');
  return existing.slice(0, empty.index) + `<Relationships${empty[1]}>${added}</Relationships>` + existing.slice(empty.index + empty[0].length);
}

/** Hands out relationship ids not used in a part yet: rId{max+1}, rId{max+2}, … */
export function relIdAllocator(existing: Relationship[]): () => string {
  const used = new Set(existing.map((rel) => rel.id));
  let next = 1 + Math.max(0, ...existing.map((rel) => /^rId([0-9]+)$/.exec(rel.id)).map((match) => (match ? Number(match[1]) : 0)));
  return () => {
    while (used.has(`rId${next}`)) next += 1;
    const id = `rId${next}`;
    used.add(id);
    next += 1;
    return id;
  };
}

export interface ContentTypeOverride {
  /** Absolute part name, e.g. /xl/charts/chart1.xml */
  partName: string;
  contentType: string;
}

/** Adds Override entries (skipping part names already listed) and the rels Default if it is missing. */
export function addContentTypes(existing: string, overrides: ContentTypeOverride[]): string {
  const known = new Set(elementsAttributes(existing, 'Override').map((attributes) => attributes.get('PartName')?.toLowerCase()));
  const hasRelsDefault = elementsAttributes(existing, 'Default').some((attributes) => attributes.get('Extension')?.toLowerCase() === 'rels');
  let added = hasRelsDefault ? '' : `<Default Extension="rels" ContentType="${CONTENT_TYPE.relationships}"/>`;
  for (const override of overrides) {
    if (known.has(override.partName.toLowerCase())) continue;
    known.add(override.partName.toLowerCase());
    added += `<Override PartName="${escapeXml(override.partName)}" ContentType="${escapeXml(override.contentType)}"/>`;
  }
  const end = existing.lastIndexOf('</Types>');
  if (end < 0) throw new Error('[Content_Types].xml has no closing Types element');
  return existing.slice(0, end) + added + existing.slice(end);
}

// ---------------------------------------------------------------------------------------------
// The worksheet's <drawing> element

// CT_Worksheet children that must come after <drawing>; all others that may be present come before.
const AFTER_DRAWING = new Set(['legacyDrawing', 'legacyDrawingHF', 'drawingHF', 'picture', 'oleObjects', 'controls', 'webPublishItems', 'tableParts', 'extLst']);

export interface WorksheetDrawingSlot {
  /** Offset where a new <drawing> element belongs. */
  insertAt: number;
  /** r:id of the <drawing> the sheet already has (a sheet has at most one drawing part). */
  existingRelId: string | undefined;
  /** Namespace prefix of the worksheet's elements ('' when the main namespace is the default). */
  prefix: string;
}

/**
 * Finds where <drawing> goes among the worksheet's top-level elements. Only the part after sheetData
 * is tokenised (sheetData is most of a sheet, and nothing that follows drawing can precede it), and
 * nested elements (an extLst inside conditionalFormatting) are told apart from top-level ones by depth.
 */
export function findDrawingSlot(sheet: string): WorksheetDrawingSlot {
  const root = /<(?:([A-Za-z_][\w.-]*):)?worksheet(?=[\s>])(?:[^>"']|"[^"]*"|'[^']*')*>/.exec(sheet);
  if (!root) throw new Error('The worksheet part has no worksheet element');
  const prefix = root[1] === undefined ? '' : `${root[1]}:`;
  const sheetDataEnd = new RegExp(`</${prefix}sheetData\\s*>|<${prefix}sheetData\\b(?:[^>"']|"[^"]*"|'[^']*')*/>`, 'g');
  let position = root.index + root[0].length;
  const closeTag = sheet.lastIndexOf(`</${prefix}sheetData`);
  if (closeTag >= 0) {
    sheetDataEnd.lastIndex = closeTag;
    const match = sheetDataEnd.exec(sheet);
    if (match) position = match.index + match[0].length;
  } else {
    sheetDataEnd.lastIndex = position;
    const match = sheetDataEnd.exec(sheet);
    if (match) position = match.index + match[0].length;
  }

  let depth = 0;
  let insertAt: number | undefined;
  let existingRelId: string | undefined;
  const tag = /<(\/?)([A-Za-z_][\w.:-]*)(?:[^>"']|"[^"]*"|'[^']*')*?(\/?)>|<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[[\s\S]*?\]\]>/g;
  tag.lastIndex = position;
  for (let match = tag.exec(sheet); match; match = tag.exec(sheet)) {
    const qualifiedName = match[2];
    if (qualifiedName === undefined) continue; // comment, PI or CDATA
    const closing = match[1] === '/';
    const selfClosing = match[3] === '/';
    if (closing) {
      if (depth === 0) {
        insertAt ??= match.index; // </worksheet>
        break;
      }
      depth -= 1;
      continue;
    }
    if (depth === 0) {
      const localName = qualifiedName.includes(':') ? qualifiedName.slice(qualifiedName.indexOf(':') + 1) : qualifiedName;
      if (localName === 'drawing') {
        const attributes = tagAttributes(match[0]);
        existingRelId = [...attributes].find(([name]) => name.endsWith(':id'))?.[1];
        if (existingRelId === undefined) throw new Error('The worksheet has a drawing element without r:id');
      } else if (AFTER_DRAWING.has(localName)) {
        insertAt ??= match.index;
      }
    }
    if (!selfClosing) depth += 1;
  }
  if (insertAt === undefined) throw new Error('The worksheet part is truncated: no closing worksheet tag');
  return { insertAt, existingRelId, prefix };
}

export function insertDrawingElement(sheet: string, slot: WorksheetDrawingSlot, relId: string): string {
  // The r: prefix is declared on the element, since a worksheet root need not declare it.
  const element = `<${slot.prefix}drawing xmlns:r="${NS.relationships}" r:id="${escapeXml(relId)}"/>`;
  return sheet.slice(0, slot.insertAt) + element + sheet.slice(slot.insertAt);
}

/** Resolves a relationship target against the folder of the part that owns the relationship. */
export function resolvePartPath(sourcePart: string, target: string): string {
  if (target.startsWith('/')) return target.slice(1);
  const segments = sourcePart.split('/').slice(0, -1);
  for (const segment of target.split('/')) {
    if (segment === '..') segments.pop();
    else if (segment !== '.' && segment !== '') segments.push(segment);
  }
  return segments.join('/');
}

/** The .rels part of a part: xl/worksheets/sheet1.xml → xl/worksheets/_rels/sheet1.xml.rels */
export function relsPathOf(part: string): string {
  const slash = part.lastIndexOf('/');
  return `${part.slice(0, slash + 1)}_rels/${part.slice(slash + 1)}.rels`;
}

/** A relationship target from one part to another, relative like Excel writes them. */
export function relativeTarget(sourcePart: string, targetPart: string): string {
  const from = sourcePart.split('/').slice(0, -1);
  const to = targetPart.split('/');
  let common = 0;
  while (common < from.length && common < to.length - 1 && from[common] === to[common]) common += 1;
  return [...Array<string>(from.length - common).fill('..'), ...to.slice(common)].join('/');
}
