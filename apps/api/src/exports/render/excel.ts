// The Excel report: a summary sheet (filters, data_as_of, generation time, headline numbers), one
// sheet per section (its figures, then its tables, formatted: FCFA and percentage formats, dates as
// dates, a frozen title, an auto filter on the first table, widths fitted to the text) with native
// charts drawn from the sheet's own cells, and with raw=true one sheet per underlying table,
// streamed from ClickHouse by exceljs's streaming writer so that memory stays flat whatever the size.
// exceljs has no chart API: the charts are added to the finished package by xlsx/charts.ts.
import { rename, rm } from 'node:fs/promises';
import ExcelJS from 'exceljs';
import { codeLabel } from '../format-fr.js';
import { addChartsToXlsx, type SheetCharts, type XlsxChart } from '../xlsx/charts.js';
import type { CellValue, ReportColumn, ReportModel, ReportSection, ReportTable, ValueFormat } from '../report-model.js';
import type { RawTable } from '../raw-rows.js';

const TITLE_FONT = { bold: true, size: 14, color: { argb: 'FF1F3A5F' } };
const HEADER_FILL = { type: 'pattern' as const, pattern: 'solid' as const, fgColor: { argb: 'FF1F3A5F' } };
const HEADER_FONT = { bold: true, color: { argb: 'FFFFFFFF' } };
const SUBTITLE_FONT = { italic: true, color: { argb: 'FF555555' } };
/** Printed on A4, as wide as one page (tables and charts never cut at the right edge). */
const PRINT: Partial<ExcelJS.PageSetup> = { paperSize: 9, orientation: 'portrait', fitToPage: true, fitToWidth: 1, fitToHeight: 0 };

/** Number format of a value; FCFA amounts show decimals only when they have some. */
function numberFormat(format: ValueFormat, value: unknown): string | undefined {
  switch (format) {
    case 'xof':
      return typeof value === 'number' && !Number.isInteger(value) ? '#,##0.00 "FCFA"' : '#,##0 "FCFA"';
    case 'percent':
      return '0.00" %"';
    case 'hours':
      return '0.00" h"';
    case 'rating':
      return '0.00" / 5"';
    case 'decimal':
      return '0.00';
    case 'integer':
      return '#,##0';
    case 'date':
      return 'dd/mm/yyyy';
    case 'instant':
      return 'dd/mm/yyyy hh:mm:ss';
    default:
      return undefined;
  }
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The cell value: dates and instants as Date (UTC), everything else as it is. */
function cellValue(format: ValueFormat, value: CellValue | boolean): ExcelJS.CellValue {
  if (value === null) return null;
  if (typeof value === 'string' && format === 'date' && DAY.test(value)) return new Date(`${value}T00:00:00Z`);
  if (typeof value === 'string' && format === 'instant') {
    const at = Date.parse(value);
    return Number.isNaN(at) ? value : new Date(at);
  }
  if (typeof value === 'boolean') return value ? 'oui' : 'non';
  // A stored code by its French name (the charts read these cells: their categories too).
  if (typeof value === 'string') return codeLabel(value, format) ?? value;
  return value;
}

function frenchInstant(iso: string | null): string {
  if (iso === null) return 'inconnu (aucune modification répliquée)';
  return `${iso.replace('T', ' ').replace(/\.\d+Z$/, '').replace(/Z$/, '')} UTC`;
}

/** Column letter(s) of a 1-based column index. */
export function columnLetter(index: number): string {
  let letters = '';
  for (let n = index; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
}

/** Sheet names: at most 31 characters, none of []:*?/\ (Excel's rules). */
function sheetName(title: string): string {
  return title.replace(/[[\]:*?/\\]/g, ' ').slice(0, 31);
}

class WidthTracker {
  readonly widths: number[] = [];
  see(column: number, value: unknown, format: ValueFormat = 'text'): void {
    let length: number;
    if (value === null || value === undefined) length = 0;
    else if (typeof value === 'number') length = new Intl.NumberFormat('fr-FR').format(value).length + (format === 'xof' ? 5 : 2);
    else if (value instanceof Date) length = format === 'instant' ? 19 : 10;
    else length = String(value).length;
    this.widths[column] = Math.min(60, Math.max(this.widths[column] ?? 8, length + 2));
  }
}

interface Cursor {
  row: number;
}

function writeRow(sheet: ExcelJS.Worksheet, cursor: Cursor, values: ExcelJS.CellValue[], style?: (cell: ExcelJS.Cell, column: number) => void): void {
  const row = sheet.getRow(cursor.row);
  values.forEach((value, i) => {
    const cell = row.getCell(i + 1);
    cell.value = value;
    style?.(cell, i + 1);
  });
  cursor.row++;
}

function headerStyle(cell: ExcelJS.Cell): void {
  cell.font = HEADER_FONT;
  cell.fill = HEADER_FILL;
  cell.alignment = { vertical: 'middle' };
}

function writeTitle(sheet: ExcelJS.Worksheet, cursor: Cursor, title: string, model: ReportModel, dataAsOf: string | null, widths: WidthTracker): void {
  writeRow(sheet, cursor, [title], (cell) => (cell.font = TITLE_FONT));
  writeRow(sheet, cursor, [`Période : ${model.period_label}`], (cell) => (cell.font = SUBTITLE_FONT));
  writeRow(sheet, cursor, [`Données à jour au : ${frenchInstant(dataAsOf)} · Généré le : ${frenchInstant(model.generated_at)}`], (cell) => (cell.font = SUBTITLE_FONT));
  widths.see(1, 'Indicateur');
  cursor.row++;
}

interface TablePlacement {
  table: ReportTable;
  /** 1-based row of the header; data rows follow. */
  headerRow: number;
  columns: Map<string, number>;
}

function writeTable(sheet: ExcelJS.Worksheet, cursor: Cursor, table: ReportTable, widths: WidthTracker): TablePlacement {
  writeRow(sheet, cursor, [table.title], (cell) => (cell.font = { bold: true, size: 12 }));
  const headerRow = cursor.row;
  writeRow(sheet, cursor, table.columns.map((column) => column.label), headerStyle);
  table.columns.forEach((column, i) => widths.see(i + 1, column.label));
  for (const row of table.rows) {
    writeRow(
      sheet,
      cursor,
      table.columns.map((column) => cellValue(column.format, row[column.key] ?? null)),
      (cell, i) => {
        const column = table.columns[i - 1]!;
        const format = numberFormat(column.format, cell.value);
        if (format) cell.numFmt = format;
        widths.see(i, cell.value, column.format);
      },
    );
  }
  if (table.rows.length === 0) writeRow(sheet, cursor, ['Aucune donnée pour cette période'], (cell) => (cell.font = SUBTITLE_FONT));
  cursor.row++;
  return { table, headerRow, columns: new Map(table.columns.map((column, i) => [column.key, i + 1])) };
}

/**
 * Native charts of a section, under its tables (so a printed sheet keeps each chart whole on its
 * pages), referencing the cells just written.
 */
function sectionCharts(section: ReportSection, placements: TablePlacement[], firstFreeRow: number, columns: number): XlsxChart[] {
  const charts: XlsxChart[] = [];
  let anchorRow = firstFreeRow;
  for (const chart of section.charts) {
    const placement = placements.find((p) => p.table.id === chart.table);
    if (!placement || placement.table.rows.length === 0) continue;
    const first = placement.headerRow + 1;
    const last = placement.headerRow + placement.table.rows.length;
    const range = (key: string): string => {
      const column = placement.columns.get(key);
      if (column === undefined) throw new Error(`chart "${chart.title}": no column ${key} in table ${chart.table}`);
      const letter = columnLetter(column);
      return `${letter}${first}:${letter}${last}`;
    };
    const valueFormat = placement.table.columns.find((column) => column.key === chart.series[0])?.format ?? 'integer';
    const categoryFormat = placement.table.columns.find((column) => column.key === chart.category)?.format;
    charts.push({
      kind: chart.kind,
      title: chart.title,
      categories: range(chart.category),
      series: chart.series.map((key) => ({
        name: placement.table.columns.find((column) => column.key === key)!.label,
        values: range(key),
      })),
      anchor: { col: 0, row: anchorRow, cols: columns, rows: 18 },
      numberFormat: numberFormat(valueFormat, 0),
      // Date cells are numbers: read as such and shown as dates (as text they would show serials).
      ...(categoryFormat === 'date' ? { categoryFormat: 'dd/mm/yyyy' } : {}),
    });
    anchorRow += 20;
  }
  return charts;
}

function writeSection(workbook: ExcelJS.stream.xlsx.WorkbookWriter, model: ReportModel, section: ReportSection): SheetCharts {
  const name = sheetName(section.title);
  const sheet = workbook.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 3 }], pageSetup: PRINT });
  const widths = new WidthTracker();
  const cursor: Cursor = { row: 1 };
  writeTitle(sheet, cursor, section.title, model, section.data_as_of, widths);
  if (section.figures.length > 0) {
    writeRow(sheet, cursor, ['Indicateur', 'Valeur'], headerStyle);
    for (const figure of section.figures) {
      writeRow(sheet, cursor, [figure.label, cellValue(figure.format, figure.value)], (cell, i) => {
        if (i === 2) {
          const format = numberFormat(figure.format, figure.value);
          if (format) cell.numFmt = format;
          widths.see(2, figure.value, figure.format);
        } else widths.see(1, figure.label);
      });
    }
    cursor.row++;
  }
  const placements = section.tables.map((table) => writeTable(sheet, cursor, table, widths));
  const first = placements.find((placement) => placement.table.rows.length > 0);
  if (first) {
    const lastColumn = columnLetter(first.table.columns.length);
    sheet.autoFilter = `A${first.headerRow}:${lastColumn}${first.headerRow + first.table.rows.length}`;
  }
  const usedColumns = Math.max(2, ...section.tables.map((table) => table.columns.length));
  for (let i = 1; i <= usedColumns; i++) sheet.getColumn(i).width = widths.widths[i] ?? 10;
  sheet.commit();
  // Anchors are 0-based rows: the chart starts one row under the last table.
  return { sheet: name, charts: sectionCharts(section, placements, cursor.row, Math.max(4, Math.min(usedColumns, 8))) };
}

function writeSummary(workbook: ExcelJS.stream.xlsx.WorkbookWriter, model: ReportModel): void {
  const sheet = workbook.addWorksheet('Résumé', { views: [{ state: 'frozen', ySplit: 1 }], pageSetup: PRINT });
  const widths = new WidthTracker();
  const cursor: Cursor = { row: 1 };
  writeRow(sheet, cursor, [model.title], (cell) => (cell.font = { ...TITLE_FONT, size: 16 }));
  cursor.row++;
  const info: Array<[string, ExcelJS.CellValue, string | undefined]> = [
    ['Période', model.period_label, undefined],
    ['Début de la fenêtre', model.filters.from ? new Date(model.filters.from) : 'aucun (depuis le début)', 'dd/mm/yyyy hh:mm:ss'],
    ['Fin de la fenêtre (exclue)', model.filters.to ? new Date(model.filters.to) : 'aucune (jusqu’à maintenant)', 'dd/mm/yyyy hh:mm:ss'],
    ['Ville', model.filters.city ?? 'toutes', undefined],
    ['Spécialité', model.filters.specialty ?? 'toutes', undefined],
    ['Données à jour au (UTC)', model.data_as_of ? new Date(model.data_as_of) : 'inconnu', 'dd/mm/yyyy hh:mm:ss'],
    ['Généré le (UTC)', new Date(model.generated_at), 'dd/mm/yyyy hh:mm:ss'],
  ];
  writeRow(sheet, cursor, ['Paramètre', 'Valeur'], headerStyle);
  for (const [label, value, format] of info) {
    writeRow(sheet, cursor, [label, value], (cell, i) => {
      if (i === 2 && format && value instanceof Date) cell.numFmt = format;
      widths.see(i, i === 1 ? label : value, value instanceof Date ? 'instant' : 'text');
    });
  }
  cursor.row++;
  const overview = model.sections.find((section) => section.key === 'overview');
  if (overview) {
    writeRow(sheet, cursor, ["Vue d'ensemble", ''], headerStyle);
    for (const figure of overview.figures) {
      writeRow(sheet, cursor, [figure.label, cellValue(figure.format, figure.value)], (cell, i) => {
        const format = i === 2 ? numberFormat(figure.format, figure.value) : undefined;
        if (format) cell.numFmt = format;
        widths.see(i, i === 1 ? figure.label : figure.value, figure.format);
      });
    }
    cursor.row++;
  }
  writeRow(sheet, cursor, ['Section', 'Données à jour au (UTC)'], headerStyle);
  for (const section of model.sections) {
    writeRow(sheet, cursor, [section.title, section.data_as_of ? new Date(section.data_as_of) : 'inconnu'], (cell, i) => {
      if (i === 2 && cell.value instanceof Date) cell.numFmt = 'dd/mm/yyyy hh:mm:ss';
      widths.see(i, cell.value, 'instant');
    });
  }
  sheet.getColumn(1).width = widths.widths[1] ?? 30;
  sheet.getColumn(2).width = widths.widths[2] ?? 30;
  sheet.commit();
}

const RAW_WIDTHS: Partial<Record<ValueFormat, number>> = { instant: 20, xof: 16, integer: 12, text: 18 };

async function writeRawSheet(workbook: ExcelJS.stream.xlsx.WorkbookWriter, table: RawTable): Promise<void> {
  const sheet = workbook.addWorksheet(sheetName(table.title), { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = table.columns.map((column: ReportColumn) => ({
    header: column.label,
    key: column.key,
    width: Math.max(RAW_WIDTHS[column.format] ?? 14, column.label.length + 2),
    style: numberFormat(column.format, 0) ? { numFmt: numberFormat(column.format, 0) } : {},
  }));
  sheet.getRow(1).eachCell((cell) => headerStyle(cell));
  sheet.getRow(1).commit();
  let written = 0;
  for await (const rows of table.pages()) {
    for (const row of rows) {
      sheet.addRow(table.columns.map((column) => cellValue(column.format, row[column.key] ?? null))).commit();
    }
    written += rows.length;
  }
  sheet.autoFilter = `A1:${columnLetter(table.columns.length)}${Math.max(1, written + 1)}`;
  sheet.commit();
}

/** Writes the workbook to `path` (charts included); the caller renames it into place. */
export async function writeExcelReport(model: ReportModel, raw: RawTable[], path: string): Promise<void> {
  const plain = `${path}.plain.xlsx`;
  try {
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: plain, useStyles: true, useSharedStrings: false });
    workbook.creator = 'DepanneTeliman Statistiques';
    workbook.created = new Date(model.generated_at);
    writeSummary(workbook, model);
    const charts = model.sections.map((section) => writeSection(workbook, model, section));
    for (const table of raw) await writeRawSheet(workbook, table);
    await workbook.commit();
    const withCharts = charts.filter((sheet) => sheet.charts.length > 0);
    if (withCharts.length > 0) await addChartsToXlsx(plain, path, withCharts);
    else await rename(plain, path);
  } finally {
    await rm(plain, { force: true });
  }
}
