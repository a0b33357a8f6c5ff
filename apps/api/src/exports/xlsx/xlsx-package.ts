// Reading and rewriting an .xlsx package (a zip of XML parts) without holding it in memory: small
// parts are read whole, the worksheet cells a chart needs are picked out of its XML, shared strings
// are streamed for the few indices wanted, and the copy streams every unchanged entry through.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { decodeXmlText, tagAttributes } from './chart-xml.js';

export class XlsxPackage {
  private constructor(
    private readonly zip: yauzl.ZipFile,
    /** Entries in the order the zip stores them (kept in the copy, [Content_Types].xml first). */
    readonly entries: yauzl.Entry[],
    private readonly byName: Map<string, yauzl.Entry>,
  ) {}

  static async open(path: string): Promise<XlsxPackage> {
    const zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false });
    try {
      const entries: yauzl.Entry[] = [];
      for await (const entry of zip.eachEntry()) entries.push(entry);
      return new XlsxPackage(zip, entries, new Map(entries.map((entry) => [entry.fileName, entry])));
    } catch (error) {
      zip.close();
      throw error;
    }
  }

  close(): void {
    this.zip.close();
  }

  has(part: string): boolean {
    return this.byName.has(part);
  }

  size(part: string): number {
    return this.entry(part).uncompressedSize;
  }

  private entry(part: string): yauzl.Entry {
    const entry = this.byName.get(part);
    if (!entry) throw new Error(`The workbook has no part ${part}`);
    return entry;
  }

  async stream(part: string): Promise<Readable> {
    return this.zip.openReadStreamPromise(this.entry(part));
  }

  async readText(part: string): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.stream(part)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  /**
   * Writes a copy of the package to `output`: entries in `replaced` get the new content, `added` ones
   * are appended, everything else is streamed from the input one entry at a time. The copy is built
   * under a temporary name in the output's folder and renamed when complete, so a failure never
   * leaves a partial workbook under the real name.
   */
  async writeCopy(output: string, replaced: Map<string, string>, added: Map<string, string>): Promise<void> {
    for (const part of added.keys()) {
      if (this.byName.has(part)) throw new Error(`Refusing to add ${part}: the workbook already has that part`);
    }
    const temporary = join(dirname(output), `.${basename(output)}.${randomUUID()}.tmp`);
    const zipOut = new yazl.ZipFile();
    const file = createWriteStream(temporary);
    let fail: (error: unknown) => void = () => undefined;
    const written = new Promise<void>((resolve, reject) => {
      fail = reject;
      zipOut.on('error', reject);
      zipOut.outputStream.on('error', reject);
      file.on('error', reject);
      file.on('close', resolve);
    });
    // Settled errors are awaited below; this only keeps an early one from being reported as unhandled.
    written.catch(() => undefined);
    zipOut.outputStream.pipe(file);
    try {
      for (const entry of this.entries) {
        const mtime = entry.getLastModDate();
        if (entry.fileName.endsWith('/')) {
          zipOut.addEmptyDirectory(entry.fileName, { mtime });
          continue;
        }
        const content = replaced.get(entry.fileName);
        if (content !== undefined) {
          zipOut.addBuffer(Buffer.from(content, 'utf8'), entry.fileName, { mtime, compress: true });
          continue;
        }
        // Opened only when yazl reaches this entry, so one input stream is open at a time.
        zipOut.addReadStreamLazy(entry.fileName, { mtime, compress: entry.compressionMethod !== 0 }, (callback) => {
          this.zip.openReadStream(entry, (error, stream) => {
            // yazl does not listen to a lazy stream's errors (a bad CRC in the input, say).
            stream?.on('error', (streamError) => fail(new Error(`Copying ${entry.fileName}: ${streamError.message}`, { cause: streamError })));
            callback(error, stream);
          });
        });
      }
      const now = new Date();
      for (const [part, content] of added) {
        zipOut.addBuffer(Buffer.from(content, 'utf8'), part, { mtime: now, compress: true });
      }
      zipOut.end();
      await written;
      await rename(temporary, output);
    } catch (error) {
      file.destroy();
      await unlink(temporary).catch((unlinkError: NodeJS.ErrnoException) => {
        if (unlinkError.code !== 'ENOENT') throw new AggregateError([error, unlinkError], `Could not remove ${temporary} after a failed write`);
      });
      throw error;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Worksheet cells

/** A cell's content as the sheet XML stores it; shared strings are resolved later, in one pass. */
export type RawCell = { kind: 'number'; text: string } | { kind: 'string'; text: string } | { kind: 'shared'; index: number } | { kind: 'other' };

export interface CellBlock {
  column: number;
  firstRow: number;
  lastRow: number;
}

export interface SheetScan {
  /** Cells inside the wanted blocks, keyed `${column}:${row}`. */
  cells: Map<string, RawCell>;
  /** The used range: from <dimension ref> when the sheet has one, else the extent of its rows and cells. */
  used: { firstColumn: number; firstRow: number; lastColumn: number; lastRow: number } | undefined;
}

export function cellKey(column: number, row: number): string {
  return `${column}:${row}`;
}

function refToPosition(ref: string): { column: number; row: number } | undefined {
  const match = /^\$?([A-Z]{1,3})\$?([0-9]+)$/.exec(ref);
  if (!match) return undefined;
  let column = 0;
  for (const ch of match[1]!) column = column * 26 + (ch.charCodeAt(0) - 64);
  return { column, row: Number(match[2]) };
}

function innerText(xml: string): string {
  // Phonetic runs (rPh) are reading aids, not part of the cell's text.
  const withoutPhonetic = xml.replace(/<(?:\w+:)?rPh\b[\s\S]*?<\/(?:\w+:)?rPh>/g, '');
  let text = '';
  for (const match of withoutPhonetic.matchAll(/<(?:\w+:)?t(?:\s[^>]*)?>([\s\S]*?)<\/(?:\w+:)?t>/g)) text += decodeXmlText(match[1]!);
  return text;
}

function rawCell(type: string | undefined, body: string): RawCell {
  const value = /<(?:\w+:)?v(?:\s[^>]*)?>([\s\S]*?)<\/(?:\w+:)?v>/.exec(body)?.[1];
  switch (type) {
    case undefined:
    case 'n':
      return value === undefined || value.trim() === '' ? { kind: 'other' } : { kind: 'number', text: value.trim() };
    case 's':
      return value === undefined ? { kind: 'other' } : { kind: 'shared', index: Number(value) };
    case 'str':
      return value === undefined ? { kind: 'other' } : { kind: 'string', text: decodeXmlText(value) };
    case 'inlineStr':
      return { kind: 'string', text: innerText(/<(?:\w+:)?is\b[^>]*>([\s\S]*?)<\/(?:\w+:)?is>/.exec(body)?.[1] ?? '') };
    default:
      // Booleans, errors and ISO dates are neither chart numbers nor labels Excel would cache.
      return { kind: 'other' };
  }
}

/**
 * Picks the wanted cells out of a worksheet's XML and finds its used range. Cells and rows may omit
 * their r attribute (then they follow the previous one), so positions are tracked, not just read.
 */
export function scanSheet(sheet: string, blocks: CellBlock[]): SheetScan {
  const cells = new Map<string, RawCell>();
  const dimension = /<(?:\w+:)?dimension\b[^>]*>/.exec(sheet);
  let used: SheetScan['used'];
  if (dimension) {
    const ref = tagAttributes(dimension[0]).get('ref') ?? '';
    const [from, to] = ref.split(':');
    const first = refToPosition(from ?? '');
    const last = to === undefined ? first : refToPosition(to);
    if (first && last) used = { firstColumn: first.column, firstRow: first.row, lastColumn: last.column, lastRow: last.row };
  }
  const measure = used === undefined;
  let minColumn = Infinity;
  let minRow = Infinity;
  let maxColumn = 0;
  let maxRow = 0;

  const dataStart = sheet.search(/<(?:\w+:)?sheetData\b/);
  if (dataStart >= 0) {
    const token = /<(?:\w+:)?row\b((?:[^>"']|"[^"]*"|'[^']*')*?)(\/?)>|<(?:\w+:)?c\b((?:[^>"']|"[^"]*"|'[^']*')*?)(?:\/>|>([\s\S]*?)<\/(?:\w+:)?c>)|<\/(?:\w+:)?sheetData>/g;
    token.lastIndex = dataStart;
    let row = 0;
    let column = 0;
    for (let match = token.exec(sheet); match; match = token.exec(sheet)) {
      if (match[0].startsWith('</')) break;
      if (match[1] !== undefined) {
        const r = /\sr\s*=\s*["']([0-9]+)["']/.exec(match[1]);
        row = r ? Number(r[1]) : row + 1;
        column = 0;
        continue;
      }
      const attributes = match[3] ?? '';
      const r = /\sr\s*=\s*["']([A-Z]+[0-9]+)["']/.exec(attributes);
      const position = r ? refToPosition(r[1]!) : undefined;
      if (position) {
        column = position.column;
        row = position.row;
      } else {
        column += 1;
      }
      if (measure) {
        minColumn = Math.min(minColumn, column);
        maxColumn = Math.max(maxColumn, column);
        minRow = Math.min(minRow, row);
        maxRow = Math.max(maxRow, row);
      }
      if (!blocks.some((block) => block.column === column && row >= block.firstRow && row <= block.lastRow)) continue;
      const type = /\st\s*=\s*["']([A-Za-z]+)["']/.exec(attributes)?.[1];
      cells.set(cellKey(column, row), rawCell(type, match[4] ?? ''));
    }
  }
  if (measure && maxRow > 0) used = { firstColumn: minColumn, firstRow: minRow, lastColumn: maxColumn, lastRow: maxRow };
  return { cells, used };
}

/**
 * Reads the texts of the wanted shared-string indices from a stream of sharedStrings.xml, stopping
 * as soon as the highest one is read: the table of a big raw-data workbook is never held whole.
 */
export async function readSharedStrings(stream: Readable, wanted: Set<number>): Promise<Map<number, string>> {
  const found = new Map<number, string>();
  if (wanted.size === 0) {
    stream.destroy();
    return found;
  }
  const highest = Math.max(...wanted);
  const itemStart = /<(?:\w+:)?si(?=[\s/>])(?:[^>"']|"[^"]*"|'[^']*')*?(\/?)>/g;
  let buffer = '';
  let index = 0;
  stream.setEncoding('utf8');
  try {
    for await (const chunk of stream) {
      buffer += chunk as string;
      let consumed = 0;
      for (;;) {
        itemStart.lastIndex = consumed;
        const start = itemStart.exec(buffer);
        if (!start) break;
        let end: number;
        let text: string;
        if (start[1] === '/') {
          end = start.index + start[0].length;
          text = '';
        } else {
          const close = /<\/(?:\w+:)?si>/g;
          close.lastIndex = start.index + start[0].length;
          const closeMatch = close.exec(buffer);
          if (!closeMatch) break; // the item continues in the next chunk
          end = closeMatch.index + closeMatch[0].length;
          text = wanted.has(index) ? innerText(buffer.slice(start.index + start[0].length, closeMatch.index)) : '';
        }
        if (wanted.has(index)) found.set(index, text);
        index += 1;
        consumed = end;
        if (index > highest) return found;
      }
      // Keep only what is not read yet: an item (or tag) that continues in the next chunk.
      buffer = buffer.slice(consumed);
    }
  } finally {
    stream.destroy();
  }
  const missing = [...wanted].filter((wantedIndex) => !found.has(wantedIndex));
  if (missing.length > 0) throw new Error(`The shared strings table has no item ${missing.join(', ')} (it holds ${index})`);
  return found;
}
