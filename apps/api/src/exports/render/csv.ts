// CSV files of a report: one file per section (its figures, then each of its tables after a blank
// line, each with its own header row), plus the underlying rows when asked, zipped when there are
// several. UTF-8 with a BOM (Excel otherwise reads accents as Latin-1), CRLF line ends and RFC 4180
// quoting. Text that a spreadsheet would run as a formula (=, +, -, @ at the start) is prefixed with
// an apostrophe: city names are user data.
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { PassThrough } from 'node:stream';
import yazl from 'yazl';
import type { CellValue, ReportModel, ReportSection } from '../report-model.js';
import type { RawTable } from '../raw-rows.js';

export const CSV_BOM = '\uFEFF';

/** One field, quoted when it must be (RFC 4180), formula-like text neutralised. */
export function csvField(value: CellValue | boolean): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: ReadonlyArray<CellValue | boolean>): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/** A section as CSV text: figures as (indicateur, clé, valeur), then each table. */
export function sectionCsv(section: ReportSection): string {
  let text = CSV_BOM;
  const blocks: string[] = [];
  if (section.figures.length > 0) {
    blocks.push(csvLine(['indicateur', 'cle', 'valeur']) + section.figures.map((f) => csvLine([f.label, f.key, f.value])).join(''));
  }
  for (const table of section.tables) {
    blocks.push(
      csvLine([`# ${table.title}`]) +
        csvLine(table.columns.map((column) => column.key)) +
        table.rows.map((row) => csvLine(table.columns.map((column) => row[column.key] ?? null))).join(''),
    );
  }
  text += blocks.join('\r\n');
  return text;
}

export interface CsvFile {
  name: string;
  /** Small files: the text. Raw tables: streamed from ClickHouse. */
  content: string | RawTable;
}

/** Streams raw rows as CSV lines into `write`. */
async function* rawCsv(table: RawTable): AsyncGenerator<Buffer> {
  yield Buffer.from(CSV_BOM + csvLine(table.columns.map((column) => column.key)));
  for await (const rows of table.pages()) {
    yield Buffer.from(rows.map((row) => csvLine(table.columns.map((column) => row[column.key] ?? null))).join(''));
  }
}

async function writeAll(stream: WriteStream, chunks: AsyncIterable<Buffer>): Promise<void> {
  for await (const chunk of chunks) {
    if (!stream.write(chunk)) await once(stream, 'drain');
  }
}

/** The report's CSV files (sections first, then raw tables). */
export function csvFiles(model: ReportModel, raw: RawTable[]): CsvFile[] {
  return [
    ...model.sections.map((section) => ({ name: `${section.key}.csv`, content: sectionCsv(section) })),
    ...raw.map((table) => ({ name: `${table.name}.csv`, content: table })),
  ];
}

/** Writes one CSV file as is, or several as a zip; resolves to the extension written. */
export async function writeCsvExport(files: CsvFile[], path: string): Promise<'csv' | 'zip'> {
  if (files.length === 1) {
    const stream = createWriteStream(path);
    const [file] = files;
    const closed = once(stream, 'close');
    try {
      await writeAll(stream, typeof file!.content === 'string' ? toChunks(file!.content) : rawCsv(file!.content));
    } finally {
      stream.end();
    }
    await closed;
    return 'csv';
  }
  const zip = new yazl.ZipFile();
  const out = createWriteStream(path);
  const written = once(out, 'close');
  zip.outputStream.pipe(out);
  try {
    await addEntries(zip, files);
  } catch (error) {
    out.destroy();
    throw error;
  }
  zip.end();
  await written;
  return 'zip';
}

async function addEntries(zip: yazl.ZipFile, files: CsvFile[]): Promise<void> {
  for (const file of files) {
    if (typeof file.content === 'string') {
      zip.addBuffer(Buffer.from(file.content, 'utf8'), file.name);
    } else {
      // One raw table at a time: the archive streams each entry to disk as it is produced.
      const entry = new PassThrough();
      zip.addReadStream(entry, file.name);
      for await (const chunk of rawCsv(file.content)) {
        if (!entry.write(chunk)) await once(entry, 'drain');
      }
      entry.end();
    }
  }
}

async function* toChunks(text: string): AsyncGenerator<Buffer> {
  yield Buffer.from(text, 'utf8');
}
