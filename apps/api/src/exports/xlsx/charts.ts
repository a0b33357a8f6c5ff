// Native Excel charts for workbooks written by exceljs, which has no chart API: the finished .xlsx is
// copied with DrawingML chart parts added, each series referencing the sheet's own cells, so the
// charts stay live and editable in Excel and LibreOffice. Only the parts that change are read into
// memory; every other entry (a raw-data sheet of hundreds of MB) is streamed through.
import {
  addContentTypes,
  appendRelationships,
  appendToDrawingXml,
  chartSpaceXml,
  columnLetters,
  CONTENT_TYPE,
  drawingXml,
  elementsAttributes,
  findDrawingSlot,
  insertDrawingElement,
  maxShapeId,
  parseChart,
  parseRelationships,
  REL_TYPE,
  relationshipsXml,
  relativeTarget,
  relIdAllocator,
  relsPathOf,
  resolvePartPath,
  type ChartCache,
  type ChartFrame,
  type ColumnRange,
  type ContentTypeOverride,
  type ParsedChart,
  type Relationship,
  type XlsxChart,
} from './chart-xml.js';
import { cellKey, readSharedStrings, scanSheet, XlsxPackage, type RawCell, type SheetScan } from './xlsx-package.js';

export type { XlsxChart, XlsxChartKind, XlsxChartSeries } from './chart-xml.js';

export interface SheetCharts {
  /** Worksheet name as given to exceljs (addWorksheet name). */
  sheet: string;
  charts: XlsxChart[];
}

/** A sheet that gets charts is read whole (its cells feed the caches, its XML gets <drawing>). */
export const MAX_CHART_SHEET_BYTES = 64 * 1024 * 1024;

const OFFICE_DOCUMENT_REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument';
const WORKSHEET_REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet';
const SHARED_STRINGS_REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings';

interface SheetPlan {
  name: string;
  part: string;
  xml: string;
  scan: SheetScan;
  charts: ParsedChart[];
}

/**
 * Copies the workbook at `input` to `output` adding the charts. Entries of the package that are not
 * changed are streamed (a raw-data sheet of hundreds of MB is never held in memory); only the small
 * parts that change (workbook.xml and its rels to find sheet files, the chart sheets' XML, their rels,
 * [Content_Types].xml) are read into memory. Throws a clear Error (and leaves no output file) when a
 * sheet name is unknown, a range is malformed, a range falls outside the sheet's used range (read the
 * sheet's <dimension ref> or scan its rows), or a sheet that gets charts is larger than 64 MB.
 */
export async function addChartsToXlsx(input: string, output: string, sheets: SheetCharts[]): Promise<void> {
  // Every description is checked before the input is opened: a typo fails fast and writes nothing.
  const requested = new Map<string, ParsedChart[]>();
  for (const { sheet, charts } of sheets) {
    const parsed = charts.map((chart) => parseChart(chart, `Sheet ${JSON.stringify(sheet)}`));
    requested.set(sheet, [...(requested.get(sheet) ?? []), ...parsed]);
  }

  const pkg = await XlsxPackage.open(input);
  try {
    const workbookPart = await officeDocumentPart(pkg);
    const workbookRelsPart = relsPathOf(workbookPart);
    const workbookRels = parseRelationships(await pkg.readText(workbookRelsPart));
    const sheetParts = sheetPartsByName(await pkg.readText(workbookPart), workbookRels, workbookPart);

    const plans: SheetPlan[] = [];
    for (const [name, charts] of requested) {
      if (charts.length === 0) continue;
      const part = sheetParts.get(name);
      if (part === undefined) {
        throw new Error(`Sheet ${JSON.stringify(name)} is not in the workbook (it has ${[...sheetParts.keys()].map((known) => JSON.stringify(known)).join(', ')})`);
      }
      const size = pkg.size(part);
      if (size > MAX_CHART_SHEET_BYTES) {
        throw new Error(
          `Sheet ${JSON.stringify(name)} is ${Math.round(size / 1024 / 1024)} MB of XML, over the ${MAX_CHART_SHEET_BYTES / 1024 / 1024} MB a sheet with charts may have; put the charts on a smaller sheet`,
        );
      }
      const xml = await pkg.readText(part);
      const scan = scanSheet(xml, charts.flatMap(chartRanges));
      for (const chart of charts) checkInsideUsedRange(name, chart, scan);
      plans.push({ name, part, xml, scan, charts });
    }

    const sharedStrings = await resolveSharedStrings(pkg, plans, workbookRels, workbookPart);
    const replaced = new Map<string, string>();
    const added = new Map<string, string>();
    const contentTypes: ContentTypeOverride[] = [];
    let nextChart = nextPartNumber(pkg, /^xl\/charts\/chart([0-9]+)\.xml$/);
    let nextDrawing = nextPartNumber(pkg, /^xl\/drawings\/drawing([0-9]+)\.xml$/);

    for (const plan of plans) {
      const slot = findDrawingSlot(plan.xml);
      const sheetRelsPart = relsPathOf(plan.part);
      const sheetRelsXml = pkg.has(sheetRelsPart) ? await pkg.readText(sheetRelsPart) : undefined;
      const sheetRels = sheetRelsXml === undefined ? [] : parseRelationships(sheetRelsXml);

      let drawingPart: string;
      let drawingXmlBefore: string | undefined;
      if (slot.existingRelId !== undefined) {
        // A sheet has one drawing part: exceljs' pictures and our charts share it.
        const rel = sheetRels.find((candidate) => candidate.id === slot.existingRelId);
        if (rel === undefined || rel.type !== REL_TYPE.drawing) {
          throw new Error(`Sheet ${JSON.stringify(plan.name)}: its <drawing r:id="${slot.existingRelId}"> has no drawing relationship`);
        }
        drawingPart = resolvePartPath(plan.part, rel.target);
        drawingXmlBefore = await pkg.readText(drawingPart);
      } else {
        drawingPart = `xl/drawings/drawing${nextDrawing++}.xml`;
        const relId = relIdAllocator(sheetRels)();
        const rel: Relationship = { id: relId, type: REL_TYPE.drawing, target: relativeTarget(plan.part, drawingPart) };
        if (sheetRelsXml === undefined) added.set(sheetRelsPart, relationshipsXml([rel]));
        else replaced.set(sheetRelsPart, appendRelationships(sheetRelsXml, [rel]));
        replaced.set(plan.part, insertDrawingElement(plan.xml, slot, relId));
        contentTypes.push({ partName: `/${drawingPart}`, contentType: CONTENT_TYPE.drawing });
      }

      const drawingRelsPart = relsPathOf(drawingPart);
      const drawingRelsXml = drawingXmlBefore !== undefined && pkg.has(drawingRelsPart) ? await pkg.readText(drawingRelsPart) : undefined;
      const nextRelId = relIdAllocator(drawingRelsXml === undefined ? [] : parseRelationships(drawingRelsXml));
      let shapeId = drawingXmlBefore === undefined ? 1 : maxShapeId(drawingXmlBefore);
      const frames: ChartFrame[] = [];
      const chartRels: Relationship[] = [];
      for (const chart of plan.charts) {
        const chartPart = `xl/charts/chart${nextChart++}.xml`;
        added.set(chartPart, chartSpaceXml(chart, plan.name, chartCache(chart, plan.scan, sharedStrings)));
        contentTypes.push({ partName: `/${chartPart}`, contentType: CONTENT_TYPE.chart });
        const relId = nextRelId();
        chartRels.push({ id: relId, type: REL_TYPE.chart, target: relativeTarget(drawingPart, chartPart) });
        shapeId += 1;
        frames.push({ anchor: chart.chart.anchor, shapeId, name: chart.chart.title === '' ? `Graphique ${shapeId}` : chart.chart.title, relId });
      }
      if (drawingXmlBefore === undefined) added.set(drawingPart, drawingXml(frames));
      else replaced.set(drawingPart, appendToDrawingXml(drawingXmlBefore, frames));
      if (drawingRelsXml === undefined) added.set(drawingRelsPart, relationshipsXml(chartRels));
      else replaced.set(drawingRelsPart, appendRelationships(drawingRelsXml, chartRels));
    }

    if (contentTypes.length > 0) {
      const contentTypesPart = '[Content_Types].xml';
      replaced.set(contentTypesPart, addContentTypes(await pkg.readText(contentTypesPart), contentTypes));
    }
    await pkg.writeCopy(output, replaced, added);
  } finally {
    pkg.close();
  }
}

async function officeDocumentPart(pkg: XlsxPackage): Promise<string> {
  const rootRels = parseRelationships(await pkg.readText('_rels/.rels'));
  const office = rootRels.find((rel) => rel.type === OFFICE_DOCUMENT_REL);
  if (office === undefined) throw new Error('The package has no officeDocument relationship: not a workbook');
  return resolvePartPath('', office.target);
}

/** Sheet name → part, through workbook.xml's r:id and its rels (sheet files need not follow sheet order). */
function sheetPartsByName(workbookXml: string, workbookRels: Relationship[], workbookPart: string): Map<string, string> {
  const parts = new Map<string, string>();
  for (const attributes of elementsAttributes(workbookXml, 'sheet')) {
    const name = attributes.get('name');
    const relId = [...attributes].find(([attribute]) => attribute.endsWith(':id'))?.[1];
    const rel = workbookRels.find((candidate) => candidate.id === relId);
    // Chart sheets and dialog sheets have other relationship types; only worksheets can hold cells.
    if (name === undefined || rel === undefined || rel.type !== WORKSHEET_REL) continue;
    parts.set(name, resolvePartPath(workbookPart, rel.target));
  }
  return parts;
}

function chartRanges(chart: ParsedChart): ColumnRange[] {
  return [chart.categories, ...chart.series.flatMap((serie) => (serie.nameCell === undefined ? [serie.values] : [serie.values, serie.nameCell]))];
}

function a1(range: ColumnRange): string {
  const column = columnLetters(range.column);
  return range.firstRow === range.lastRow ? `${column}${range.firstRow}` : `${column}${range.firstRow}:${column}${range.lastRow}`;
}

function checkInsideUsedRange(sheet: string, chart: ParsedChart, scan: SheetScan): void {
  const used = scan.used;
  for (const range of chartRanges(chart)) {
    const inside =
      used !== undefined && range.column >= used.firstColumn && range.column <= used.lastColumn && range.firstRow >= used.firstRow && range.lastRow <= used.lastRow;
    if (inside) continue;
    const usedText =
      used === undefined ? 'the sheet has no cells' : `its used range is ${columnLetters(used.firstColumn)}${used.firstRow}:${columnLetters(used.lastColumn)}${used.lastRow}`;
    throw new Error(`Sheet ${JSON.stringify(sheet)}, chart ${JSON.stringify(chart.chart.title)}: range ${a1(range)} falls outside the sheet's data (${usedText})`);
  }
}

async function resolveSharedStrings(pkg: XlsxPackage, plans: SheetPlan[], workbookRels: Relationship[], workbookPart: string): Promise<Map<number, string>> {
  const wanted = new Set<number>();
  for (const plan of plans) {
    for (const cell of plan.scan.cells.values()) if (cell.kind === 'shared') wanted.add(cell.index);
  }
  if (wanted.size === 0) return new Map();
  const rel = workbookRels.find((candidate) => candidate.type === SHARED_STRINGS_REL);
  if (rel === undefined) throw new Error('A chart cell refers to a shared string but the workbook has no shared strings part');
  return readSharedStrings(await pkg.stream(resolvePartPath(workbookPart, rel.target)), wanted);
}

function cellText(cell: RawCell | undefined, sharedStrings: Map<number, string>): string | null {
  switch (cell?.kind) {
    case 'number':
    case 'string':
      return cell.text;
    case 'shared':
      return sharedStrings.get(cell.index) ?? null;
    default:
      return null;
  }
}

function cellsOf(range: ColumnRange): Array<{ column: number; row: number }> {
  return Array.from({ length: range.lastRow - range.firstRow + 1 }, (_unused, offset) => ({ column: range.column, row: range.firstRow + offset }));
}

function chartCache(chart: ParsedChart, scan: SheetScan, sharedStrings: Map<number, string>): ChartCache {
  const at = (column: number, row: number): RawCell | undefined => scan.cells.get(cellKey(column, row));
  return {
    categories: cellsOf(chart.categories).map(({ column, row }) => cellText(at(column, row), sharedStrings)),
    series: chart.series.map((serie, index) => {
      const literal = chart.chart.series[index]!.name;
      const fromCell = serie.nameCell === undefined ? null : cellText(at(serie.nameCell.column, serie.nameCell.firstRow), sharedStrings);
      return {
        name: fromCell ?? literal,
        // Only numbers are plotted: a text cell (e.g. "n/d") is a gap, as Excel draws it.
        values: cellsOf(serie.values).map(({ column, row }) => {
          const cell = at(column, row);
          return cell?.kind === 'number' && Number.isFinite(Number(cell.text)) ? cell.text : null;
        }),
      };
    }),
  };
}

function nextPartNumber(pkg: XlsxPackage, pattern: RegExp): number {
  let max = 0;
  for (const entry of pkg.entries) {
    const match = pattern.exec(entry.fileName);
    if (match) max = Math.max(max, Number(match[1]));
  }
  return max + 1;
}
