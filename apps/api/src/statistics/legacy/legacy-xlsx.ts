// The legacy Excel export (legacy-endpoints.md §2): one sheet "Statistiques", label in column A
// and value in B, no styling. Each section: its title, an optional header row, its rows, one blank
// row. Widths as the original computed them: the longest printed value of the column + 2.
import ExcelJS from 'exceljs';
import type { LegacySection } from './legacy-report.js';

/** Python's len(): code points, not UTF-16 units. */
function textLength(text: string): number {
  return [...text].length;
}

export async function legacyWorkbook(sections: LegacySection[]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Statistiques');
  const widest = [0, 0];
  let rowNumber = 0;
  const write = (cells: Array<{ value: string | number; text: string }>): void => {
    rowNumber += 1;
    cells.forEach((cell, column) => {
      sheet.getCell(rowNumber, column + 1).value = cell.value;
      widest[column] = Math.max(widest[column]!, textLength(cell.text));
    });
  };
  const text = (value: string): { value: string; text: string } => ({ value, text: value });
  for (const section of sections) {
    write([text(section.title)]);
    if (section.header) write(section.header.map(text));
    for (const row of section.rows) write([text(row.label), { value: row.value, text: row.text }]);
    rowNumber += 1; // the blank row closing each section
  }
  sheet.getColumn(1).width = widest[0]! + 2;
  sheet.getColumn(2).width = widest[1]! + 2;
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
