// The chart XML builders on their own: every part parses as namespace-well-formed XML (saxes, the
// parser exceljs itself reads workbooks with), children follow the schema's sequences (Excel rejects
// a part whose elements are out of order), ranges and sheet names are quoted as Excel formulas
// need, and bad descriptions fail with an error that names the fault.
import { Readable } from 'node:stream';
import { SaxesParser } from 'saxes';
import { describe, expect, it } from 'vitest';
import {
  addContentTypes,
  appendRelationships,
  appendToDrawingXml,
  chartSpaceXml,
  drawingXml,
  escapeXml,
  findDrawingSlot,
  insertDrawingElement,
  maxShapeId,
  parseChart,
  parseColumnRange,
  parseRelationships,
  quoteSheetName,
  rangeFormula,
  relationshipsXml,
  relativeTarget,
  relIdAllocator,
  relsPathOf,
  resolvePartPath,
  SERIES_COLORS,
  type ChartCache,
  type XlsxChart,
} from '../../apps/api/src/exports/xlsx/chart-xml.js';
import { cellKey, readSharedStrings, scanSheet } from '../../apps/api/src/exports/xlsx/xlsx-package.js';

interface XmlNode {
  local: string;
  uri: string;
  attributes: Record<string, string>;
  children: XmlNode[];
  text: string;
}

/** Parses with namespaces on: an unbound prefix or a stray '&' or '<' throws. */
function parseXml(xml: string): XmlNode {
  const parser = new SaxesParser({ xmlns: true });
  const stack: XmlNode[] = [];
  let root: XmlNode | undefined;
  parser.on('opentag', (tag) => {
    const node: XmlNode = {
      local: tag.local,
      uri: tag.uri,
      attributes: Object.fromEntries(Object.values(tag.attributes).map((attribute) => [attribute.name, attribute.value])),
      children: [],
      text: '',
    };
    if (stack.length === 0) root = node;
    else stack[stack.length - 1]!.children.push(node);
    stack.push(node);
  });
  parser.on('text', (text) => {
    if (stack.length > 0) stack[stack.length - 1]!.text += text;
  });
  parser.on('closetag', () => stack.pop());
  parser.write(xml).close();
  if (!root) throw new Error('no root element');
  return root;
}

function find(node: XmlNode, local: string): XmlNode[] {
  return [...(node.local === local ? [node] : []), ...node.children.flatMap((child) => find(child, local))];
}

function only(node: XmlNode, local: string): XmlNode {
  const found = find(node, local);
  expect(found, local).toHaveLength(1);
  return found[0]!;
}

// Child sequences of the DrawingML chart schema (ECMA-376 Part 1, dml-chart.xsd).
const SEQUENCES: Record<string, string[]> = {
  chartSpace: ['date1904', 'lang', 'roundedCorners', 'AlternateContent', 'style', 'clrMapOvr', 'pivotSource', 'protection', 'chart', 'spPr', 'txPr', 'externalData', 'printSettings', 'userShapes', 'extLst'],
  chart: ['title', 'autoTitleDeleted', 'pivotFmts', 'view3D', 'floor', 'sideWall', 'backWall', 'plotArea', 'legend', 'plotVisOnly', 'dispBlanksAs', 'showDLblsOverMax', 'extLst'],
  title: ['tx', 'layout', 'overlay', 'spPr', 'txPr', 'extLst'],
  legend: ['legendPos', 'legendEntry', 'layout', 'overlay', 'spPr', 'txPr', 'extLst'],
  lineChart: ['grouping', 'varyColors', 'ser', 'dLbls', 'dropLines', 'hiLowLines', 'upDownBars', 'marker', 'smoothLine', 'axId', 'extLst'],
  barChart: ['barDir', 'grouping', 'varyColors', 'ser', 'dLbls', 'gapWidth', 'overlap', 'serLines', 'axId', 'extLst'],
  pieChart: ['varyColors', 'ser', 'dLbls', 'firstSliceAng', 'extLst'],
  areaChart: ['grouping', 'varyColors', 'ser', 'dLbls', 'dropLines', 'axId', 'extLst'],
  radarChart: ['radarStyle', 'varyColors', 'ser', 'dLbls', 'axId', 'extLst'],
  'lineChart/ser': ['idx', 'order', 'tx', 'spPr', 'marker', 'dPt', 'dLbls', 'trendline', 'errBars', 'cat', 'val', 'smooth', 'extLst'],
  'barChart/ser': ['idx', 'order', 'tx', 'spPr', 'invertIfNegative', 'pictureOptions', 'dPt', 'dLbls', 'trendline', 'errBars', 'cat', 'val', 'shape', 'extLst'],
  'pieChart/ser': ['idx', 'order', 'tx', 'spPr', 'explosion', 'dPt', 'dLbls', 'cat', 'val', 'extLst'],
  'areaChart/ser': ['idx', 'order', 'tx', 'spPr', 'pictureOptions', 'dPt', 'dLbls', 'trendline', 'errBars', 'cat', 'val', 'extLst'],
  'radarChart/ser': ['idx', 'order', 'tx', 'spPr', 'marker', 'dPt', 'dLbls', 'cat', 'val', 'extLst'],
  catAx: ['axId', 'scaling', 'delete', 'axPos', 'majorGridlines', 'minorGridlines', 'title', 'numFmt', 'majorTickMark', 'minorTickMark', 'tickLblPos', 'spPr', 'txPr', 'crossAx', 'crosses', 'crossesAt', 'auto', 'lblAlgn', 'lblOffset', 'tickLblSkip', 'tickMarkSkip', 'noMultiLvlLbl', 'extLst'],
  valAx: ['axId', 'scaling', 'delete', 'axPos', 'majorGridlines', 'minorGridlines', 'title', 'numFmt', 'majorTickMark', 'minorTickMark', 'tickLblPos', 'spPr', 'txPr', 'crossAx', 'crosses', 'crossesAt', 'crossBetween', 'majorUnit', 'minorUnit', 'dispUnits', 'extLst'],
  dLbls: ['dLbl', 'delete', 'numFmt', 'spPr', 'txPr', 'dLblPos', 'showLegendKey', 'showVal', 'showCatName', 'showSerName', 'showPercent', 'showBubbleSize', 'separator', 'showLeaderLines', 'leaderLines', 'extLst'],
  dPt: ['idx', 'invertIfNegative', 'marker', 'bubble3D', 'explosion', 'spPr', 'pictureOptions', 'extLst'],
  marker: ['symbol', 'size', 'spPr', 'extLst'],
  numCache: ['formatCode', 'ptCount', 'pt', 'extLst'],
  strCache: ['ptCount', 'pt', 'extLst'],
};

const CHART_NS = 'http://schemas.openxmlformats.org/drawingml/2006/chart';

/** Checks every chart-namespace element with a known sequence, recursively. */
function expectSchemaOrder(node: XmlNode, parent = ''): void {
  const key = SEQUENCES[`${parent}/${node.local}`] ? `${parent}/${node.local}` : node.local;
  const sequence = node.uri === CHART_NS ? SEQUENCES[key] : undefined;
  // c:marker is both a line chart's flag (<c:marker val="1"/>) and a series' marker element.
  if (sequence && node.children.length > 0) {
    const positions = node.children.filter((child) => child.uri === CHART_NS).map((child) => sequence.indexOf(child.local));
    expect(positions, `children of ${key}: ${node.children.map((child) => child.local).join(', ')}`).not.toContain(-1);
    expect(positions, `order of ${key}: ${node.children.map((child) => child.local).join(', ')}`).toEqual([...positions].sort((a, b) => a - b));
  }
  for (const child of node.children) expectSchemaOrder(child, node.local);
}

const SHEET = "Délais d'été 2025";

function chart(kind: XlsxChart['kind'], seriesCount = kind === 'pie' ? 1 : 2): XlsxChart {
  return {
    kind,
    title: `Délais & coûts <${kind}> d'été`,
    categories: 'B5:B8',
    series: Array.from({ length: seriesCount }, (_unused, i) => ({ name: `Série n°${i + 1} d'Abidjan`, values: `${String.fromCharCode(67 + i)}5:${String.fromCharCode(67 + i)}8` })),
    anchor: { col: 1, row: 12, cols: 8, rows: 16 },
    numberFormat: '#,##0 "XOF"',
  };
}

function cacheFor(description: XlsxChart): ChartCache {
  return {
    categories: ['janv.', 'févr.', null, 'R&D <pilote>'],
    series: description.series.map((serie, i) => ({ name: serie.name, values: ['1', String(2.5 + i), null, '-4'] })),
  };
}

const KINDS = ['line', 'bar', 'pie', 'area', 'radar'] as const;
const PLOT = { line: 'lineChart', bar: 'barChart', pie: 'pieChart', area: 'areaChart', radar: 'radarChart' } as const;

describe('chart part', () => {
  it.each(KINDS)('%s: well-formed, in schema order, with the sheet ranges, caches and escaped text', (kind) => {
    const description = chart(kind);
    const root = parseXml(chartSpaceXml(parseChart(description, 'test'), SHEET, cacheFor(description)));
    expect([root.uri, root.local]).toEqual([CHART_NS, 'chartSpace']);
    expectSchemaOrder(root);

    const plot = only(root, PLOT[kind]);
    const series = plot.children.filter((child) => child.local === 'ser');
    expect(series).toHaveLength(description.series.length);
    expect(only(root, 'title').children[0]!.local).toBe('tx');
    expect(find(only(root, 'title'), 't').map((t) => t.text).join('')).toBe(description.title);
    expect(find(root, 'legend')).toHaveLength(1);

    series.forEach((ser, i) => {
      expect(only(ser, 'tx').children[0]!.text).toBe(description.series[i]!.name);
      expect(only(only(ser, 'cat'), 'f').text).toBe(`'Délais d''été 2025'!$B$5:$B$8`);
      const column = String.fromCharCode(67 + i);
      expect(only(only(ser, 'val'), 'f').text).toBe(`'Délais d''été 2025'!$${column}$5:$${column}$8`);
      const categories = only(ser, 'strCache');
      expect(only(categories, 'ptCount').attributes.val).toBe('4');
      // An empty cell is a missing point, not an empty label.
      expect(find(categories, 'pt').map((pt) => [pt.attributes.idx, find(pt, 'v')[0]!.text])).toEqual([
        ['0', 'janv.'],
        ['1', 'févr.'],
        ['3', 'R&D <pilote>'],
      ]);
      const values = only(ser, 'numCache');
      expect(only(values, 'formatCode').text).toBe('#,##0 "XOF"');
      expect(find(values, 'pt').map((pt) => find(pt, 'v')[0]!.text)).toEqual(['1', String(2.5 + i), '-4']);
    });

    const axes = [...find(root, 'catAx'), ...find(root, 'valAx')];
    if (kind === 'pie') {
      expect(axes).toHaveLength(0);
      // One colour per slice, since a pie's legend lists the categories.
      const slices = find(series[0]!, 'dPt').map((dPt) => find(dPt, 'srgbClr')[0]!.attributes.val);
      expect(slices).toEqual(SERIES_COLORS.slice(0, 4));
      expect(only(plot, 'varyColors').attributes.val).toBe('1');
    } else {
      expect(axes.map((axis) => axis.local)).toEqual(['catAx', 'valAx']);
      const ids = find(plot, 'axId').map((axId) => axId.attributes.val);
      expect(axes.map((axis) => only(axis, 'axId').attributes.val)).toEqual(ids);
      expect(only(axes[0]!, 'crossAx').attributes.val).toBe(ids[1]);
      expect(only(axes[1]!, 'crossAx').attributes.val).toBe(ids[0]);
      expect(axes[1]!.children.find((child) => child.local === 'numFmt')!.attributes).toEqual({ formatCode: '#,##0 "XOF"', sourceLinked: '0' });
      // Each series has its own explicit colour (line, edge or fill).
      const colors = series.map((ser) => find(ser.children.find((child) => child.local === 'spPr')!, 'srgbClr')[0]!.attributes.val);
      expect(colors).toEqual(SERIES_COLORS.slice(0, series.length));
    }
    if (kind === 'bar') expect(only(plot, 'barDir').attributes.val).toBe('col');
    if (kind === 'radar') expect(only(plot, 'radarStyle').attributes.val).toBe('marker');
  });

  it('writes the legend name as a reference to its cell when nameRef is given', () => {
    const description: XlsxChart = { ...chart('line'), series: [{ name: 'Demandes', values: 'C5:C8', nameRef: '$C$4' }] };
    const root = parseXml(chartSpaceXml(parseChart(description, 'test'), SHEET, { ...cacheFor(description), series: [{ name: 'Demandes (cellule)', values: ['1', '2', '3', '4'] }] }));
    const seriesTx = find(only(root, 'ser'), 'tx')[0]!;
    expect(only(seriesTx, 'f').text).toBe(`'Délais d''été 2025'!$C$4`);
    expect(only(seriesTx, 'v').text).toBe('Demandes (cellule)');
  });

  it('leaves the title out when it is empty', () => {
    const description = { ...chart('bar'), title: '' };
    const root = parseXml(chartSpaceXml(parseChart(description, 'test'), SHEET, cacheFor(description)));
    expect(find(root, 'title')).toHaveLength(0);
    expect(only(root, 'autoTitleDeleted').attributes.val).toBe('1');
  });
});

describe('ranges and sheet names', () => {
  it('parses one-column A1 ranges, absolute or not, in any case', () => {
    expect(parseColumnRange('C5:C11', 'r')).toEqual({ column: 3, firstRow: 5, lastRow: 11 });
    expect(parseColumnRange('$c$5:$C$11', 'r')).toEqual({ column: 3, firstRow: 5, lastRow: 11 });
    expect(parseColumnRange('AB7', 'r')).toEqual({ column: 28, firstRow: 7, lastRow: 7 });
    expect(parseColumnRange('XFD1048576', 'r')).toEqual({ column: 16_384, firstRow: 1_048_576, lastRow: 1_048_576 });
  });

  it.each([
    ['B5:C11', /spans several columns/],
    ['B11:B5', /ends above where it starts/],
    ["'Feuil 1'!B5:B11", /is not an A1 range/],
    ['B5-B11', /is not an A1 range/],
    ['B0:B4', /is not an A1 range/],
    ['XFE1', /is not an A1 range/],
    ['B1:B1048577', /is not an A1 range/],
    ['B1:B2:B3', /is not an A1 range/],
    ['', /is not an A1 range/],
  ])('refuses %j', (text, message) => {
    expect(() => parseColumnRange(text, 'Chart "x", values')).toThrow(message);
    expect(() => parseColumnRange(text, 'Chart "x", values')).toThrow(/^Chart "x", values: /);
  });

  it('quotes every sheet name and doubles its apostrophes', () => {
    expect(quoteSheetName('Feuil1')).toBe("'Feuil1'");
    expect(quoteSheetName("Chiffre d'affaires")).toBe("'Chiffre d''affaires'");
    expect(quoteSheetName("l''été")).toBe("'l''''été'");
    expect(rangeFormula('Répartition par ville', { column: 2, firstRow: 5, lastRow: 11 })).toBe("'Répartition par ville'!$B$5:$B$11");
    expect(rangeFormula("Qualité d'accueil", { column: 27, firstRow: 4, lastRow: 4 })).toBe("'Qualité d''accueil'!$AA$4");
  });

  it('escapes markup and refuses characters XML cannot hold', () => {
    expect(escapeXml(`R&D <"pilote"> d'été`)).toBe(`R&amp;D &lt;&quot;pilote&quot;&gt; d'été`);
    expect(() => escapeXml('bip\u0007')).toThrow(/control character/);
  });
});

describe('chart descriptions that are refused', () => {
  it.each<[string, XlsxChart, RegExp]>([
    ['a pie with two series', chart('pie', 2), /a pie chart draws exactly one series, got 2/],
    ['no series', { ...chart('line'), series: [] }, /no series/],
    ['values longer than the categories', { ...chart('bar', 1), series: [{ name: 'a', values: 'C5:C9' }] }, /values C5:C9 hold 5 cells but categories B5:B8 hold 4/],
    ['a two-column range', { ...chart('bar', 1), categories: 'B5:C8' }, /categories: "B5:C8" spans several columns/],
    ['a sheet-qualified range', { ...chart('bar', 1), series: [{ name: 'a', values: 'Feuil1!C5:C8' }] }, /series 1 \("a"\), values: "Feuil1!C5:C8" is not an A1 range/],
    ['a nameRef of several cells', { ...chart('bar', 1), series: [{ name: 'a', values: 'C5:C8', nameRef: 'C3:C4' }] }, /nameRef C3:C4 must be one cell/],
    ['a negative anchor', { ...chart('bar', 1), anchor: { col: -1, row: 0, cols: 5, rows: 5 } }, /anchor/],
    ['an anchor without size', { ...chart('bar', 1), anchor: { col: 0, row: 0, cols: 0, rows: 5 } }, /anchor/],
    ['a control character in the title', { ...chart('bar', 1), title: 'a\u0001b' }, /control character/],
    ['an unknown kind', { ...chart('bar', 1), kind: 'donut' as XlsxChart['kind'] }, /unknown kind "donut"/],
  ])('%s', (_label, description, message) => {
    expect(() => parseChart(description, 'Sheet "Feuil1"')).toThrow(message);
    expect(() => parseChart(description, 'Sheet "Feuil1"')).toThrow(/^Sheet "Feuil1", chart /);
  });
});

describe('drawing part', () => {
  const frames = [
    { anchor: { col: 1, row: 12, cols: 8, rows: 16 }, shapeId: 2, name: "Délais d'été & coûts", relId: 'rId1' },
    { anchor: { col: 10, row: 0, cols: 5, rows: 10 }, shapeId: 3, name: 'Deuxième', relId: 'rId2' },
  ];

  it('anchors each chart over its cells through a graphic frame that references the chart rel', () => {
    const root = parseXml(drawingXml(frames));
    expect([root.uri, root.local]).toEqual(['http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing', 'wsDr']);
    const anchors = find(root, 'twoCellAnchor');
    expect(anchors).toHaveLength(2);
    const corner = (node: XmlNode): number[] => ['col', 'colOff', 'row', 'rowOff'].map((local) => Number(only(node, local).text));
    expect(corner(only(anchors[0]!, 'from'))).toEqual([1, 0, 12, 0]);
    expect(corner(only(anchors[0]!, 'to'))).toEqual([9, 0, 28, 0]);
    expect(anchors[0]!.children.map((child) => child.local)).toEqual(['from', 'to', 'graphicFrame', 'clientData']);
    expect(only(anchors[0]!, 'graphicFrame').children.map((child) => child.local)).toEqual(['nvGraphicFramePr', 'xfrm', 'graphic']);
    expect(only(anchors[0]!, 'cNvPr').attributes).toEqual({ id: '2', name: "Délais d'été & coûts" });
    expect(only(anchors[0]!, 'graphicData').attributes.uri).toBe(CHART_NS);
    const chartRef = only(anchors[1]!, 'chart');
    expect([chartRef.uri, chartRef.attributes['r:id']]).toEqual([CHART_NS, 'rId2']);
  });

  it("joins an existing drawing (exceljs' pictures, no r: prefix at the root) and keeps shape ids unique", () => {
    const exceljsDrawing =
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">' +
      '<xdr:twoCellAnchor editAs="oneCell"><xdr:from><xdr:col>7</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>0</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:to><xdr:col>9</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>3</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>' +
      '<xdr:pic><xdr:nvPicPr><xdr:cNvPr id="1" name="Picture 1"/><xdr:cNvPicPr/></xdr:nvPicPr><xdr:blipFill><a:blip xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:embed="rId1"/></xdr:blipFill><xdr:spPr/></xdr:pic><xdr:clientData/></xdr:twoCellAnchor></xdr:wsDr>';
    const first = maxShapeId(exceljsDrawing) + 1;
    expect(first).toBe(2);
    const joined = appendToDrawingXml(exceljsDrawing, [{ ...frames[0]!, shapeId: first }]);
    const root = parseXml(joined);
    expect(find(root, 'twoCellAnchor')).toHaveLength(2);
    expect(find(root, 'pic')).toHaveLength(1);
    expect(find(root, 'cNvPr').map((node) => node.attributes.id)).toEqual(['1', '2']);
    expect(maxShapeId(joined)).toBe(2);
  });
});

describe('relationships and content types', () => {
  it('allocates ids that are not taken and appends to an existing rels part', () => {
    const existing =
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
      '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="../media/image1.png"/>' +
      '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="https://example.org/?a=1&amp;b=&gt;" TargetMode="External"/>' +
      '<Relationship Id="hyperlink5" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="#A1"/></Relationships>';
    const parsed = parseRelationships(existing);
    expect(parsed[1]).toEqual({ id: 'rId3', type: 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink', target: 'https://example.org/?a=1&b=>', targetMode: 'External' });
    const next = relIdAllocator(parsed);
    expect([next(), next()]).toEqual(['rId4', 'rId5']);
    const appended = appendRelationships(existing, [{ id: 'rId4', type: 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/chart', target: '../charts/chart1.xml' }]);
    expect(parseXml(appended).children).toHaveLength(4);
    expect(parseRelationships(appended).map((rel) => rel.id)).toEqual(['rId1', 'rId3', 'hyperlink5', 'rId4']);
    expect(relIdAllocator([])()).toBe('rId1');
    const selfClosing = '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>';
    expect(parseRelationships(appendRelationships(selfClosing, [{ id: 'rId1', type: 't', target: 'x.xml' }]))).toEqual([{ id: 'rId1', type: 't', target: 'x.xml' }]);
    expect(parseXml(relationshipsXml([{ id: 'rId1', type: 't', target: "../charts/chart d'été.xml" }])).children[0]!.attributes.Target).toBe("../charts/chart d'été.xml");
  });

  it('adds Override entries once each, and the rels Default when it is missing', () => {
    const types =
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>' +
      '<Override PartName="/xl/drawings/drawing1.xml" ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/></Types>';
    const updated = addContentTypes(types, [
      { partName: '/xl/drawings/drawing1.xml', contentType: 'application/vnd.openxmlformats-officedocument.drawing+xml' },
      { partName: '/xl/charts/chart1.xml', contentType: 'application/vnd.openxmlformats-officedocument.drawingml.chart+xml' },
      { partName: '/xl/charts/chart1.xml', contentType: 'application/vnd.openxmlformats-officedocument.drawingml.chart+xml' },
    ]);
    const root = parseXml(updated);
    expect(root.children.map((child) => [child.local, child.attributes.PartName ?? child.attributes.Extension])).toEqual([
      ['Default', 'xml'],
      ['Override', '/xl/drawings/drawing1.xml'],
      ['Default', 'rels'],
      ['Override', '/xl/charts/chart1.xml'],
    ]);
  });

  it('resolves and writes part paths relative to their source part', () => {
    expect(resolvePartPath('xl/workbook.xml', 'worksheets/sheet2.xml')).toBe('xl/worksheets/sheet2.xml');
    expect(resolvePartPath('xl/worksheets/sheet1.xml', '../drawings/drawing1.xml')).toBe('xl/drawings/drawing1.xml');
    expect(resolvePartPath('xl/workbook.xml', '/xl/worksheets/sheet1.xml')).toBe('xl/worksheets/sheet1.xml');
    expect(resolvePartPath('', 'xl/workbook.xml')).toBe('xl/workbook.xml');
    expect(relsPathOf('xl/worksheets/sheet1.xml')).toBe('xl/worksheets/_rels/sheet1.xml.rels');
    expect(relativeTarget('xl/worksheets/sheet1.xml', 'xl/drawings/drawing3.xml')).toBe('../drawings/drawing3.xml');
    expect(relativeTarget('xl/drawings/drawing3.xml', 'xl/charts/chart12.xml')).toBe('../charts/chart12.xml');
    expect(relativeTarget('xl/workbook.xml', 'xl/worksheets/sheet1.xml')).toBe('worksheets/sheet1.xml');
  });
});

// Children of CT_Worksheet in schema order (sml.xsd).
const WORKSHEET_SEQUENCE = [
  'sheetPr', 'dimension', 'sheetViews', 'sheetFormatPr', 'cols', 'sheetData', 'sheetCalcPr', 'sheetProtection', 'protectedRanges', 'scenarios', 'autoFilter', 'sortState',
  'dataConsolidate', 'customSheetViews', 'mergeCells', 'phoneticPr', 'conditionalFormatting', 'dataValidations', 'hyperlinks', 'printOptions', 'pageMargins', 'pageSetup',
  'headerFooter', 'rowBreaks', 'colBreaks', 'customProperties', 'cellWatches', 'ignoredErrors', 'smartTags', 'drawing', 'legacyDrawing', 'legacyDrawingHF', 'drawingHF',
  'picture', 'oleObjects', 'controls', 'webPublishItems', 'tableParts', 'extLst',
];

describe("the worksheet's <drawing> element", () => {
  const open =
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">' +
    '<dimension ref="A1:B2"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lt;drawing&gt; tableParts</t></is></c></row></sheetData>';
  const tails: Array<[string, string]> = [
    ['nothing after sheetData', ''],
    ['exceljs page setup', '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/><pageSetup orientation="portrait"/><headerFooter><oddFooter>Page &amp;P &gt; 1</oddFooter></headerFooter>'],
    ['breaks and ignored errors', '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/><rowBreaks count="1"><brk id="20" max="16383" man="1"/></rowBreaks><ignoredErrors><ignoredError sqref="A1" numberStoredAsText="1"/></ignoredErrors>'],
    ['a note and a table', '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/><legacyDrawing r:id="rId2"/><tableParts count="1"><tablePart r:id="rId3"/></tableParts>'],
    [
      'an extLst nested in conditional formatting, then a top-level one',
      '<conditionalFormatting sqref="A1:A2"><cfRule type="dataBar" priority="1"><dataBar><cfvo type="min"/><cfvo type="max"/><color rgb="FF638EC6"/></dataBar><extLst><ext uri="{B025F937-C7B1-47D3-B67F-A62EFF666E3E}"/></extLst></cfRule></conditionalFormatting>' +
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/><!-- <tableParts/> --><picture r:id="rId4"/><extLst><ext uri="{78C0D931-6437-407d-A8EE-F0AAD7539E65}"/></extLst>',
    ],
  ];

  it.each(tails)('goes where CT_Worksheet puts it: %s', (_label, tail) => {
    const sheet = `${open}${tail}</worksheet>`;
    const slot = findDrawingSlot(sheet);
    expect(slot.existingRelId).toBeUndefined();
    const root = parseXml(insertDrawingElement(sheet, slot, 'rId9'));
    const order = root.children.map((child) => child.local);
    expect(order.filter((local) => local === 'drawing')).toHaveLength(1);
    const positions = order.map((local) => WORKSHEET_SEQUENCE.indexOf(local));
    expect(positions, order.join(', ')).toEqual([...positions].sort((a, b) => a - b));
    expect(root.children.find((child) => child.local === 'drawing')!.attributes['r:id']).toBe('rId9');
  });

  it('finds the drawing a sheet already has, and works with a prefixed main namespace', () => {
    const withDrawing = `${open}<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/><drawing r:id="rId1"/></worksheet>`;
    expect(findDrawingSlot(withDrawing).existingRelId).toBe('rId1');

    const prefixed =
      '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData/><x:pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/><x:tableParts count="0"/></x:worksheet>';
    const slot = findDrawingSlot(prefixed);
    const root = parseXml(insertDrawingElement(prefixed, slot, 'rId1'));
    expect(root.children.map((child) => `${child.uri === root.uri ? 'main' : child.uri}:${child.local}`)).toEqual(['main:sheetData', 'main:pageMargins', 'main:drawing', 'main:tableParts']);
  });

  it('refuses a truncated worksheet', () => {
    expect(() => findDrawingSlot(`${open}<pageMargins left="0.7"/>`)).toThrow(/truncated/);
  });
});

describe('worksheet cells', () => {
  const sheet =
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' +
    '<row r="4"><c r="B4" t="s"><v>0</v></c><c r="C4" t="str"><v>Terminées &amp; co</v></c></row>' +
    '<row r="5"><c r="B5" t="inlineStr"><is><r><t>janv</t></r><r><t xml:space="preserve">. 2025</t></r><rPh sb="0" eb="1"><t>ジャン</t></rPh></is></c><c r="C5"><v>12.5</v></c></row>' +
    // A row and a cell without r: they follow the previous one.
    '<row><c r="B6" t="s"><v>2</v></c><c><f>C5*2</f><v>25</v></c></row>' +
    '<row r="7"><c r="B7" t="e"><v>#N/A</v></c><c r="C7" t="b"><v>1</v></c><c r="D7"/></row>' +
    '</sheetData></worksheet>';
  const blocks = [
    { column: 2, firstRow: 4, lastRow: 7 },
    { column: 3, firstRow: 4, lastRow: 7 },
  ];

  it('reads numbers, shared, inline and formula strings where the cells are, and measures the used range', () => {
    const scan = scanSheet(sheet, blocks);
    expect(scan.cells.get(cellKey(2, 4))).toEqual({ kind: 'shared', index: 0 });
    expect(scan.cells.get(cellKey(3, 4))).toEqual({ kind: 'string', text: 'Terminées & co' });
    expect(scan.cells.get(cellKey(2, 5))).toEqual({ kind: 'string', text: 'janv. 2025' });
    expect(scan.cells.get(cellKey(3, 5))).toEqual({ kind: 'number', text: '12.5' });
    expect(scan.cells.get(cellKey(2, 6))).toEqual({ kind: 'shared', index: 2 });
    expect(scan.cells.get(cellKey(3, 6))).toEqual({ kind: 'number', text: '25' });
    expect(scan.cells.get(cellKey(2, 7))).toEqual({ kind: 'other' });
    expect(scan.cells.get(cellKey(3, 7))).toEqual({ kind: 'other' });
    expect(scan.cells.has(cellKey(4, 7))).toBe(false); // outside the wanted blocks
    expect(scan.used).toEqual({ firstColumn: 2, firstRow: 4, lastColumn: 4, lastRow: 7 });
  });

  it('takes the used range from <dimension> when the sheet has one', () => {
    const withDimension = sheet.replace('<sheetData>', '<dimension ref="A1:F30"/><sheetData>');
    expect(scanSheet(withDimension, blocks).used).toEqual({ firstColumn: 1, firstRow: 1, lastColumn: 6, lastRow: 30 });
    expect(scanSheet('<worksheet><sheetData/></worksheet>', blocks).used).toBeUndefined();
  });

  it('streams shared strings for the wanted indices only, across chunk boundaries', async () => {
    const sst =
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="5" uniqueCount="5">' +
      '<si><t>Mois</t></si><si/><si><r><rPr><b/></rPr><t>Répartition</t></r><r><t xml:space="preserve"> d&apos;été</t></r><rPh sb="0" eb="1"><t>x</t></rPh></si>' +
      '<si><t>Abidjan &amp; Bouaké</t></si><si><t>unused</t></si></sst>';
    // One-byte chunks split every tag and every multi-byte character.
    const bytes = Buffer.from(sst, 'utf8');
    const chunks = Array.from(bytes, (byte) => Buffer.from([byte]));
    const texts = await readSharedStrings(Readable.from(chunks, { objectMode: false }), new Set([0, 1, 2, 3]));
    expect(texts).toEqual(
      new Map([
        [0, 'Mois'],
        [1, ''],
        [2, "Répartition d'été"],
        [3, 'Abidjan & Bouaké'],
      ]),
    );
    await expect(readSharedStrings(Readable.from([bytes], { objectMode: false }), new Set([7]))).rejects.toThrow(/no item 7 \(it holds 5\)/);
  });
});
