// Native charts added to real exceljs workbooks (normal and streaming writers) must survive real
// readers: exceljs loads the result with its cells intact, every chart's ranges point at the cells
// they plot, LibreOffice draws the charts (pixels in our series colours on the PDF pages, none on
// the same workbook without charts) and parses them as charts of the right class and ranges (.ods).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { addChartsToXlsx, type SheetCharts } from '../../apps/api/src/exports/xlsx/charts.js';
import { AREA_FILL_ALPHA, SERIES_COLORS } from '../../apps/api/src/exports/xlsx/chart-xml.js';

const run = promisify(execFile);

const SHEET = {
  activity: 'Activité mensuelle',
  revenue: "Chiffre d'affaires",
  cities: 'Répartition par ville',
  delays: "Délais d'intervention",
  quality: 'Qualité de service',
} as const;

const MONTHS = ['janv.', 'févr.', 'mars', 'avr.', 'mai', 'juin', 'juil.'];
const CITIES = ['Abidjan', 'Bouaké', 'Yamoussoukro', 'San-Pédro', 'Korhogo'];
const CRITERIA = ['Ponctualité', 'Propreté', 'Prix', 'Accueil', 'Résultat'];

/** Rows of each sheet's data table, header first, written from B4 down. */
const TABLES: Record<keyof typeof SHEET, Array<Array<string | number>>> = {
  activity: [['Mois', 'Demandes', 'Terminées'], ...MONTHS.map((month, i) => [month, 20 + i * 7 + (i % 3) * 5, 12 + i * 5])],
  revenue: [['Mois', "Chiffre d'affaires"], ...MONTHS.map((month, i) => [month, 150_000 + i * 42_000])],
  cities: [['Ville', 'Demandes'], ...CITIES.map((city, i) => [city, 50 - i * 8])],
  delays: [['Mois', 'Délai moyen (h)', 'Délai médian (h)'], ...MONTHS.map((month, i) => [month, 30 - i * 2.5, 18 - i * 1.5])],
  quality: [['Critère', 'Abidjan', 'Bouaké', 'Yamoussoukro'], ...CRITERIA.map((criterion, i) => [criterion, 4.6 - i * 0.2, 3.2 + i * 0.3, 2.4 + ((i * 7) % 5) * 0.5])],
};

// Below the table, within one printed page's width, so each sheet prints as exactly one page.
const anchor = { col: 1, row: 13, cols: 7, rows: 18 };

const CHARTS: SheetCharts[] = [
  {
    sheet: SHEET.activity,
    charts: [
      {
        kind: 'line',
        title: 'Demandes & terminées par mois',
        categories: 'B5:B11',
        series: [
          { name: 'Demandes', values: 'C5:C11' },
          { name: 'Terminées', values: '$D$5:$D$11', nameRef: 'D4' },
        ],
        anchor,
      },
    ],
  },
  {
    sheet: SHEET.revenue,
    charts: [{ kind: 'bar', title: "Chiffre d'affaires <XOF>", categories: 'B5:B11', series: [{ name: "Chiffre d'affaires", values: 'C5:C11' }], anchor, numberFormat: '#,##0 "XOF"' }],
  },
  {
    sheet: SHEET.cities,
    charts: [{ kind: 'pie', title: 'Répartition des demandes', categories: 'B5:B9', series: [{ name: 'Demandes', values: 'C5:C9' }], anchor }],
  },
  {
    sheet: SHEET.delays,
    charts: [
      {
        kind: 'area',
        title: "Délais d'intervention",
        categories: 'B5:B11',
        series: [
          { name: 'Moyen', values: 'C5:C11' },
          { name: 'Médian', values: 'D5:D11' },
        ],
        anchor,
        numberFormat: '0.0" h"',
      },
    ],
  },
  {
    sheet: SHEET.quality,
    charts: [
      {
        kind: 'radar',
        title: 'Qualité de service (note sur 5)',
        categories: 'B5:B9',
        series: [
          { name: 'Abidjan', values: 'C5:C9' },
          { name: 'Bouaké', values: 'D5:D9' },
          { name: 'Yamoussoukro', values: 'E5:E9' },
        ],
        anchor,
      },
    ],
  },
];

const PLOT_ELEMENT = { line: 'c:lineChart', bar: 'c:barChart', pie: 'c:pieChart', area: 'c:areaChart', radar: 'c:radarChart' } as const;
const ODS_CLASS = { line: 'chart:line', bar: 'chart:bar', pie: 'chart:circle', area: 'chart:area', radar: 'chart:radar' } as const;

// A 2×2 black PNG: a picture on the activity sheet makes exceljs write a drawing part of its own,
// which the charts must join (a sheet has one drawing) instead of adding a second <drawing>.
const BLACK_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAC0lEQVR4nGNgQAYAAA4AAamRc7EAAAAASUVORK5CYII=';

let dir: string;
const files = {
  normal: '',
  normalCharts: '',
  stream: '',
  streamCharts: '',
};
let pdfPages: Record<'normal' | 'normalCharts' | 'streamCharts', Rgb[]>;
let odsCharts: Record<'normalCharts' | 'streamCharts', OdsChart[]>;
const timings: Record<string, number> = {};

async function writeNormalWorkbook(path: string): Promise<void> {
  const workbook = new ExcelJS.Workbook();
  for (const key of Object.keys(SHEET) as Array<keyof typeof SHEET>) {
    const sheet = workbook.addWorksheet(SHEET[key]);
    sheet.getCell('B2').value = `${SHEET[key]} — juillet 2025`;
    if (key === 'cities') {
      // An Excel table: exceljs writes <tableParts>, which must stay after our <drawing>.
      const [header, ...rows] = TABLES.cities;
      sheet.addTable({ name: 'Villes', ref: 'B4', columns: header!.map((name) => ({ name: String(name) })), rows, style: { theme: undefined, showRowStripes: false } });
    } else {
      TABLES[key].forEach((values, i) => {
        sheet.getRow(4 + i).values = [null, ...values];
      });
    }
    if (key === 'activity') {
      const image = workbook.addImage({ base64: BLACK_PNG, extension: 'png' });
      sheet.addImage(image, 'F2:G3');
    }
    if (key === 'revenue') sheet.headerFooter.oddFooter = 'Page &P';
    // A note makes exceljs write <legacyDrawing>, which must also stay after <drawing>.
    if (key === 'delays') sheet.getCell('B2').note = 'Heures ouvrées';
  }
  await workbook.xlsx.writeFile(path);
}

async function writeStreamedWorkbook(path: string): Promise<void> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: false, useStyles: true });
  for (const key of Object.keys(SHEET) as Array<keyof typeof SHEET>) {
    const sheet = workbook.addWorksheet(SHEET[key]);
    sheet.getCell('B2').value = `${SHEET[key]} — juillet 2025`;
    TABLES[key].forEach((values, i) => {
      sheet.getRow(4 + i).values = [null, ...values];
    });
    await sheet.commit();
  }
  await workbook.commit();
}

// ---------------------------------------------------------------------------------------------
// Zip, LibreOffice and pixel helpers

async function zipEntries(path: string): Promise<Map<string, yauzl.Entry>> {
  const zip = await yauzl.openPromise(path, { lazyEntries: true });
  const entries = new Map<string, yauzl.Entry>();
  for await (const entry of zip.eachEntry()) entries.set(entry.fileName, entry);
  zip.close();
  return entries;
}

async function zipText(path: string, part: string): Promise<string> {
  const zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false });
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName !== part) continue;
      const chunks: Buffer[] = [];
      for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    }
    throw new Error(`${path} has no ${part}`);
  } finally {
    zip.close();
  }
}

function relationships(xml: string): Array<{ id: string; type: string; target: string }> {
  return [...xml.matchAll(/<Relationship\b[^>]*\/>/g)].map((match) => ({
    id: /Id="([^"]*)"/.exec(match[0])![1]!,
    type: /Type="([^"]*)"/.exec(match[0])![1]!,
    target: /Target="([^"]*)"/.exec(match[0])![1]!,
  }));
}

function decode(text: string): string {
  return text.replace(/&apos;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

async function convert(format: 'pdf' | 'ods', inputs: string[], outdir: string): Promise<string[]> {
  // A profile of its own: two soffice processes sharing one lock each other out.
  const profile = await mkdtemp(join(tmpdir(), 'lo-profile-'));
  try {
    await mkdir(outdir, { recursive: true });
    await run('soffice', ['--headless', `-env:UserInstallation=${pathToFileURL(profile).href}`, '--convert-to', format, '--outdir', outdir, ...inputs], {
      timeout: 90_000,
    });
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
  const outputs = inputs.map((input) => join(outdir, basename(input).replace(/\.xlsx$/, `.${format}`)));
  for (const output of outputs) if (!existsSync(output)) throw new Error(`LibreOffice did not write ${output}`);
  return outputs;
}

interface Rgb {
  width: number;
  height: number;
  pixels: Buffer;
}

/** Renders every page at 50 dpi. PPM rather than PNG: the pixels are counted, and PPM is raw RGB. */
async function renderPages(pdf: string): Promise<Rgb[]> {
  const prefix = pdf.replace(/\.pdf$/, '-page');
  await run('pdftoppm', ['-r', '50', pdf, prefix], { timeout: 60_000 });
  const pages = (await readdir(join(pdf, '..'))).filter((name) => name.startsWith(basename(prefix)) && name.endsWith('.ppm')).sort();
  return Promise.all(pages.map(async (name) => parsePpm(await readFile(join(pdf, '..', name)))));
}

function parsePpm(data: Buffer): Rgb {
  const header = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(data.subarray(0, 64).toString('latin1'));
  if (!header) throw new Error('not a binary PPM');
  const width = Number(header[1]);
  const height = Number(header[2]);
  return { width, height, pixels: data.subarray(header[0].length, header[0].length + width * height * 3) };
}

function rgb(hex: string): [number, number, number] {
  return [parseInt(hex.slice(0, 2), 16), parseInt(hex.slice(2, 4), 16), parseInt(hex.slice(4, 6), 16)];
}

/** The colour an area series' see-through fill shows over `under` (white: the empty plot). */
function over(hex: string, under: [number, number, number] = [255, 255, 255]): [number, number, number] {
  const alpha = AREA_FILL_ALPHA / 100;
  return rgb(hex).map((channel, i) => Math.round(channel * alpha + under[i]! * (1 - alpha))) as [number, number, number];
}

/** Pixels of area series `index`: its fill over the plot, or over/under the other series' fill (the
 * drawing order differs between Excel and LibreOffice), or its edge line. */
function areaColors(index: number, other: number): Array<[number, number, number]> {
  const [mine, theirs] = [SERIES_COLORS[index]!, SERIES_COLORS[other]!];
  return [rgb(mine), over(mine), over(mine, over(theirs)), over(theirs, over(mine))];
}

function countPixels(page: Rgb, colors: Array<[number, number, number]>, tolerance = 10): number {
  let count = 0;
  for (let offset = 0; offset < page.pixels.length; offset += 3) {
    const r = page.pixels[offset]!;
    const g = page.pixels[offset + 1]!;
    const b = page.pixels[offset + 2]!;
    if (colors.some(([cr, cg, cb]) => Math.abs(r - cr) <= tolerance && Math.abs(g - cg) <= tolerance && Math.abs(b - cb) <= tolerance)) count += 1;
  }
  return count;
}

interface OdsChart {
  chartClass: string;
  categories: string | undefined;
  values: string[];
}

async function readOdsCharts(ods: string): Promise<OdsChart[]> {
  const entries = await zipEntries(ods);
  const objects = [...entries.keys()].filter((name) => /^Object \d+\/content\.xml$/.test(name)).sort((a, b) => parseInt(a.slice(7)) - parseInt(b.slice(7)));
  return Promise.all(
    objects.map(async (name) => {
      const content = await zipText(ods, name);
      const chart = /<chart:chart\b[^>]*>/.exec(content)?.[0] ?? '';
      return {
        chartClass: /chart:class="([^"]*)"/.exec(chart)?.[1] ?? '(no chart:chart)',
        categories: /<chart:categories\b[^>]*table:cell-range-address="([^"]*)"/.exec(content)?.[1]?.replace(/&apos;/g, "'"),
        values: [...content.matchAll(/<chart:series\b[^>]*chart:values-cell-range-address="([^"]*)"/g)].map((match) => match[1]!.replace(/&apos;/g, "'")),
      };
    }),
  );
}

/** 'C5:C11' on a sheet as LibreOffice writes a range in ODF: 'Sheet'.C5:'Sheet'.C11 */
function odfRange(sheet: string, range: string): string {
  const quoted = `'${sheet.replace(/'/g, "''")}'`;
  const [from, to] = range.replace(/\$/g, '').split(':');
  return `${quoted}.${from}:${quoted}.${to ?? from}`;
}

async function cellValues(path: string): Promise<Map<string, Array<[string, unknown]>>> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(path);
  const sheets = new Map<string, Array<[string, unknown]>>();
  for (const sheet of workbook.worksheets) {
    const cells: Array<[string, unknown]> = [];
    sheet.eachRow({ includeEmpty: false }, (row) => row.eachCell({ includeEmpty: false }, (cell) => cells.push([cell.address, cell.value])));
    sheets.set(sheet.name, cells);
  }
  return sheets;
}

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xlsx-charts-'));
  files.normal = join(dir, 'normal.xlsx');
  files.normalCharts = join(dir, 'normal-charts.xlsx');
  files.stream = join(dir, 'stream.xlsx');
  files.streamCharts = join(dir, 'stream-charts.xlsx');
  await writeNormalWorkbook(files.normal);
  await writeStreamedWorkbook(files.stream);
  let started = Date.now();
  await addChartsToXlsx(files.normal, files.normalCharts, CHARTS);
  await addChartsToXlsx(files.stream, files.streamCharts, CHARTS);
  timings.addCharts = Date.now() - started;

  started = Date.now();
  const [pdfs, odss] = await Promise.all([
    convert('pdf', [files.normal, files.normalCharts, files.streamCharts], join(dir, 'pdf')),
    convert('ods', [files.normalCharts, files.streamCharts], join(dir, 'ods')),
  ]);
  timings.libreoffice = Date.now() - started;
  const [normalPages, normalChartsPages, streamChartsPages] = await Promise.all(pdfs.map(renderPages));
  pdfPages = { normal: normalPages!, normalCharts: normalChartsPages!, streamCharts: streamChartsPages! };
  odsCharts = { normalCharts: await readOdsCharts(odss[0]!), streamCharts: await readOdsCharts(odss[1]!) };
}, 180_000);

afterAll(async () => {
  console.log('xlsx-charts timings (ms):', timings);
  if (dir && !process.env.KEEP_XLSX_CHARTS_OUTPUT) await rm(dir, { recursive: true, force: true });
  else if (dir) console.log('xlsx-charts output kept in', dir);
});

describe.each([
  ['normal writer', 'normal', 'normalCharts'],
  ['streaming writer', 'stream', 'streamCharts'],
] as const)('charts added to a workbook from the %s', (_label, inputKey, outputKey) => {
  it('loads in exceljs with the same sheets and cell values', async () => {
    const before = await cellValues(files[inputKey]);
    const after = await cellValues(files[outputKey]);
    expect([...after.keys()]).toEqual(Object.values(SHEET));
    expect(after).toEqual(before);
    expect(after.get(SHEET.revenue)).toContainEqual(['C5', 150_000]);
    if (inputKey === 'normal') {
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.readFile(files[outputKey]);
      expect(workbook.getWorksheet(SHEET.activity)!.getImages()).toHaveLength(1);
    }
  });

  it('has chart and drawing parts wired through rels and content types, and copies other parts unchanged', async () => {
    const output = files[outputKey];
    const entriesBefore = await zipEntries(files[inputKey]);
    const entries = await zipEntries(output);
    const contentTypes = await zipText(output, '[Content_Types].xml');
    const workbookRels = relationships(await zipText(output, 'xl/_rels/workbook.xml.rels'));
    const workbook = await zipText(output, 'xl/workbook.xml');
    const sheetPart = (name: string): string => {
      const escaped = name.replace(/&/g, '&amp;').replace(/'/g, '&apos;');
      const id = new RegExp(`<sheet [^>]*name="${escaped.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"[^>]*r:id="([^"]+)"`).exec(workbook)![1];
      return `xl/${workbookRels.find((rel) => rel.id === id)!.target}`;
    };

    const chartParts: string[] = [];
    for (const { sheet, charts } of CHARTS) {
      const part = sheetPart(sheet);
      const xml = await zipText(output, part);
      const drawingIds = [...xml.matchAll(/<drawing\b[^>]*r:id="([^"]+)"/g)].map((match) => match[1]);
      expect(drawingIds, sheet).toHaveLength(1);
      // CT_Worksheet order: page setup before the drawing, legacy drawings and tables after it.
      const at = (tag: string): number => xml.indexOf(`<${tag}`);
      expect(at('pageMargins')).toBeLessThan(at('drawing'));
      expect(at('pageSetup')).toBeLessThan(at('drawing'));
      for (const later of ['legacyDrawing', 'tableParts']) if (at(later) >= 0) expect(at(later), `${sheet}: ${later}`).toBeGreaterThan(at('drawing'));

      const sheetRels = relationships(await zipText(output, part.replace('worksheets/', 'worksheets/_rels/') + '.rels'));
      expect(new Set(sheetRels.map((rel) => rel.id)).size).toBe(sheetRels.length);
      const drawingRel = sheetRels.find((rel) => rel.id === drawingIds[0])!;
      expect(drawingRel.type).toBe('http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing');
      const drawingPart = `xl/${drawingRel.target.replace('../', '')}`;
      expect(entries.has(drawingPart)).toBe(true);
      expect(contentTypes).toContain(`<Override PartName="/${drawingPart}" ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/>`);

      const drawing = await zipText(output, drawingPart);
      const drawingRels = relationships(await zipText(output, drawingPart.replace('drawings/', 'drawings/_rels/') + '.rels'));
      const chartRelIds = [...drawing.matchAll(/<c:chart\b[^>]*r:id="([^"]+)"/g)].map((match) => match[1]);
      expect(chartRelIds).toHaveLength(charts.length);
      if (sheet === SHEET.activity && inputKey === 'normal') expect(drawing).toContain('<xdr:pic>'); // exceljs' picture kept
      const shapeIds = [...drawing.matchAll(/<xdr:cNvPr id="(\d+)"/g)].map((match) => match[1]);
      expect(new Set(shapeIds).size).toBe(shapeIds.length);

      for (const [index, chart] of charts.entries()) {
        const rel = drawingRels.find((candidate) => candidate.id === chartRelIds[index])!;
        expect(rel.type).toBe('http://schemas.openxmlformats.org/officeDocument/2006/relationships/chart');
        const chartPart = `xl/${rel.target.replace('../', '')}`;
        chartParts.push(chartPart);
        expect(contentTypes).toContain(`<Override PartName="/${chartPart}" ContentType="application/vnd.openxmlformats-officedocument.drawingml.chart+xml"/>`);
        const chartXml = await zipText(output, chartPart);
        expect(chartXml).toContain(`<${PLOT_ELEMENT[chart.kind]}>`);
        expect(chartXml).toContain(`<a:t>${chart.title.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</a:t>`);
        expect(chartXml.match(/<c:ser>/g)).toHaveLength(chart.series.length);
        const quoted = `'${sheet.replace(/'/g, "''")}'`;
        const formulas = [...chartXml.matchAll(/<c:f>([^<]*)<\/c:f>/g)].map((match) => decode(match[1]!));
        const absolute = (range: string): string => range.replace(/\$/g, '').replace(/([A-Z]+)(\d+)/g, '$$$1$$$2');
        for (const serie of chart.series) {
          expect(formulas).toContain(`${quoted}!${absolute(chart.categories)}`);
          expect(formulas).toContain(`${quoted}!${absolute(serie.values)}`);
        }
      }
    }
    expect(new Set(chartParts).size).toBe(5);
    // Parts that had nothing to change are the input's bytes (same CRC and size).
    for (const [name, before] of entriesBefore) {
      if (name.startsWith('xl/worksheets/') || name === '[Content_Types].xml' || name.startsWith('xl/drawings/')) continue;
      const after = entries.get(name);
      expect(after, name).toBeDefined();
      expect([after!.crc32, after!.uncompressedSize], name).toEqual([before.crc32, before.uncompressedSize]);
    }
  });

  it("points every chart's ranges at cells holding the labels and numbers its caches show", async () => {
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(files[outputKey]);
    const entries = await zipEntries(files[outputKey]);
    const charts = [...entries.keys()].filter((name) => /^xl\/charts\/chart\d+\.xml$/.test(name));
    expect(charts).toHaveLength(5);
    for (const part of charts) {
      const xml = await zipText(files[outputKey], part);
      for (const ref of xml.matchAll(/<c:(strRef|numRef)><c:f>([^<]*)<\/c:f>([\s\S]*?)<\/c:\1>/g)) {
        const formula = decode(ref[2]!);
        const match = /^'((?:[^']|'')+)'!\$([A-Z]+)\$(\d+)(?::\$([A-Z]+)\$(\d+))?$/.exec(formula);
        expect(match, formula).not.toBeNull();
        const sheet = workbook.getWorksheet(match![1]!.replace(/''/g, "'"));
        expect(sheet, formula).toBeDefined();
        const first = Number(match![3]);
        const last = Number(match![5] ?? first);
        const cached = new Map([...ref[3]!.matchAll(/<c:pt idx="(\d+)"><c:v>([^<]*)<\/c:v><\/c:pt>/g)].map((pt) => [Number(pt[1]), decode(pt[2]!)]));
        expect(cached.size, formula).toBe(last - first + 1);
        for (let row = first; row <= last; row += 1) {
          const value = sheet!.getCell(`${match![2]}${row}`).value;
          if (ref[1] === 'numRef') {
            expect(typeof value, `${formula} row ${row}`).toBe('number');
            expect(Number(cached.get(row - first))).toBe(value);
          } else {
            expect(typeof value, `${formula} row ${row}`).toBe('string');
            expect(cached.get(row - first)).toBe(value);
          }
        }
      }
    }
  });

  it('is drawn by LibreOffice: every page shows chart pixels in the series colours, the same workbook without charts shows none', () => {
    const pages = pdfPages[outputKey];
    const baseline = pdfPages.normal;
    expect(pages).toHaveLength(5); // one page per sheet
    expect(baseline).toHaveLength(5);
    const palette = SERIES_COLORS.map(rgb);
    const everyColour = [...palette, ...SERIES_COLORS.map((color) => over(color)), ...areaColors(0, 1)];
    for (const page of baseline) expect(countPixels(page, everyColour)).toBeLessThan(5);

    const [line, bar, pie, area, radar] = pages as [Rgb, Rgb, Rgb, Rgb, Rgb];
    const counts = {
      line: [0, 1].map((i) => countPixels(line, [palette[i]!])),
      bar: [countPixels(bar, [palette[0]!])],
      pie: [0, 1, 2, 3, 4].map((i) => countPixels(pie, [palette[i]!])),
      area: [countPixels(area, areaColors(0, 1)), countPixels(area, areaColors(1, 0))],
      radar: [0, 1, 2].map((i) => countPixels(radar, [palette[i]!])),
    };
    // Each series (each pie slice) is drawn in its own colour.
    for (const [kind, perSeries] of Object.entries(counts)) {
      for (const [series, count] of perSeries.entries()) expect(count, `${kind} series ${series}: ${JSON.stringify(counts)}`).toBeGreaterThan(40);
    }
  });

  it('is parsed by LibreOffice as charts of the right kind over the right ranges (.ods)', () => {
    const charts = odsCharts[outputKey];
    const expected = CHARTS.flatMap(({ sheet, charts: sheetCharts }) =>
      sheetCharts.map((chart) => ({
        chartClass: ODS_CLASS[chart.kind],
        categories: odfRange(sheet, chart.categories),
        values: chart.series.map((serie) => odfRange(sheet, serie.values)),
      })),
    );
    expect(charts).toEqual(expected);
  });
});

it('adds charts to a workbook that already has some, without reusing a part name, rel id or shape id', async () => {
  const again = join(dir, 'again.xlsx');
  const second = { ...CHARTS[1]!.charts[0]!, kind: 'line' as const, title: 'Deuxième graphique', anchor: { col: 9, row: 13, cols: 6, rows: 18 } };
  await addChartsToXlsx(files.normalCharts, again, [{ sheet: SHEET.revenue, charts: [second] }, { sheet: SHEET.cities, charts: [CHARTS[2]!.charts[0]!] }]);
  const entries = await zipEntries(again);
  expect([...entries.keys()].filter((name) => /^xl\/charts\/chart\d+\.xml$/.test(name)).sort()).toEqual(
    [1, 2, 3, 4, 5, 6, 7].map((n) => `xl/charts/chart${n}.xml`).sort(),
  );
  for (const drawing of [...entries.keys()].filter((name) => /^xl\/drawings\/drawing\d+\.xml$/.test(name))) {
    const xml = await zipText(again, drawing);
    const rels = relationships(await zipText(again, drawing.replace('drawings/', 'drawings/_rels/') + '.rels'));
    expect(new Set(rels.map((rel) => rel.id)).size, drawing).toBe(rels.length);
    const shapeIds = [...xml.matchAll(/<xdr:cNvPr id="(\d+)"/g)].map((match) => match[1]);
    expect(new Set(shapeIds).size, drawing).toBe(shapeIds.length);
    if (xml.includes('Deuxième graphique')) expect(xml.match(/<c:chart /g), drawing).toHaveLength(2);
  }
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(again);
  expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual(Object.values(SHEET));
});

describe('refusals leave no output file', () => {
  const cases: Array<[string, SheetCharts[], RegExp]> = [
    ['an unknown sheet', [{ sheet: 'Activite mensuelle', charts: CHARTS[0]!.charts }], /Sheet "Activite mensuelle" is not in the workbook.*"Activité mensuelle"/],
    ['a range past the data', [{ sheet: SHEET.revenue, charts: [{ ...CHARTS[1]!.charts[0]!, categories: 'B5:B40', series: [{ name: 'CA', values: 'C5:C40' }] }] }], /B5:B40 falls outside the sheet's data/],
    ['a malformed range', [{ sheet: SHEET.revenue, charts: [{ ...CHARTS[1]!.charts[0]!, categories: 'B5-B11' }] }], /"B5-B11" is not an A1 range/],
    ['a pie with two series', [{ sheet: SHEET.cities, charts: [{ ...CHARTS[2]!.charts[0]!, series: [{ name: 'a', values: 'C5:C9' }, { name: 'b', values: 'C5:C9' }] }] }], /exactly one series/],
  ];
  it.each(cases)('%s', async (_label, sheets, message) => {
    for (const input of [files.normal, files.stream]) {
      const output = join(dir, `refused-${basename(input)}`);
      await expect(addChartsToXlsx(input, output, sheets)).rejects.toThrow(message);
      expect(existsSync(output)).toBe(false);
    }
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});

describe('a big streamed raw-data sheet', () => {
  const ROWS = 200_000;
  let big: string;

  beforeAll(async () => {
    big = join(dir, 'big.xlsx');
    const started = Date.now();
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: big, useSharedStrings: false });
    const summary = workbook.addWorksheet(SHEET.activity);
    TABLES.activity.forEach((values, i) => summary.getRow(4 + i).values = [null, ...values]);
    await summary.commit();
    const raw = workbook.addWorksheet('Données brutes');
    raw.addRow(['Référence', 'Ville', 'Statut', 'Technicien', 'Montant (XOF)', 'Note', 'Durée (h)', 'Créée le', 'Catégorie', 'Commentaire']).commit();
    for (let i = 1; i <= ROWS; i += 1) {
      raw
        .addRow([`DT-${String(i).padStart(7, '0')}`, CITIES[i % CITIES.length], i % 7 === 0 ? 'annulée' : 'terminée', `Technicien ${i % 313}`, 5_000 + (i % 97) * 250, 1 + (i % 5), (i % 48) / 2, `2025-07-${String(1 + (i % 28)).padStart(2, '0')}`, 'Électricité', 'RAS'])
        .commit();
    }
    await raw.commit();
    await workbook.commit();
    timings.bigWorkbookWrite = Date.now() - started;
  }, 180_000);

  it('is copied through byte for byte while the small sheet gets its chart, without being held in memory', async () => {
    const output = join(dir, 'big-charts.xlsx');
    const before = await zipEntries(big);
    const rawSize = before.get('xl/worksheets/sheet2.xml')!.uncompressedSize;
    expect(rawSize).toBeGreaterThan(64 * 1024 * 1024); // the point: bigger than a chart sheet may be

    let peak = 0;
    const baseline = process.memoryUsage();
    const sampler = setInterval(() => {
      const now = process.memoryUsage();
      peak = Math.max(peak, now.heapUsed - baseline.heapUsed + now.arrayBuffers - baseline.arrayBuffers);
    }, 5);
    const started = Date.now();
    try {
      await addChartsToXlsx(big, output, [CHARTS[0]!]);
    } finally {
      clearInterval(sampler);
    }
    timings.bigAddCharts = Date.now() - started;
    // Reading the raw sheet whole would take its size twice over (bytes, then a string).
    expect(peak).toBeLessThan(rawSize / 2);

    const after = await zipEntries(output);
    const raw = after.get('xl/worksheets/sheet2.xml')!;
    expect([raw.crc32, raw.uncompressedSize]).toEqual([before.get('xl/worksheets/sheet2.xml')!.crc32, rawSize]);
    expect([...after.keys()].filter((name) => name.startsWith('xl/charts/'))).toEqual(['xl/charts/chart1.xml']);

    // Count the rows by streaming the copy (yauzl checks its CRC on the way).
    const zip = await yauzl.openPromise(output, { lazyEntries: true, autoClose: false });
    let rows = 0;
    let tail = '';
    try {
      const stream = await zip.openReadStreamPromise(raw);
      stream.setEncoding('utf8');
      for await (const chunk of stream) {
        // The previous chunk's last 4 characters catch a '<row ' cut in two, and cannot hold a whole one.
        const text = tail + (chunk as string);
        rows += text.match(/<row /g)?.length ?? 0;
        tail = text.slice(-4);
      }
    } finally {
      zip.close();
    }
    expect(rows).toBe(ROWS + 1);
    expect((await stat(output)).size).toBeGreaterThan(0);
  });

  it('refuses charts on the big sheet itself (over 64 MB) and writes nothing', async () => {
    const output = join(dir, 'big-refused.xlsx');
    await expect(
      addChartsToXlsx(big, output, [{ sheet: 'Données brutes', charts: [{ kind: 'bar', title: 'Montants', categories: 'A2:A20', series: [{ name: 'Montant', values: 'E2:E20' }], anchor }] }]),
    ).rejects.toThrow(/Sheet "Données brutes" is \d+ MB of XML, over the 64 MB/);
    expect(existsSync(output)).toBe(false);
  });
});
