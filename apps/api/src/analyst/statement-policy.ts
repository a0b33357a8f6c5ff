// Decides whether an analyst statement may run, from ClickHouse's own parse of it rather than from
// regexes over what the user typed: `formatQuery` gives the canonical text (comments gone, one
// statement or an error) and `EXPLAIN AST` its tree. The engine's readonly=1 is the second line of
// defence; this one also covers what readonly=1 lets through: INTO OUTFILE (the embedded engine
// writes the file in our process) and table functions that reach files or the network.
import { GatewayError } from './protocol.js';

export interface AstNode {
  type: string;
  /** The rest of the node's line: a function's name, an identifier, a literal... */
  detail: string;
  children: AstNode[];
}

/** Parses `EXPLAIN AST` output: one node per line, one leading space per level of depth. */
export function parseExplainAst(text: string): AstNode {
  const root: AstNode = { type: '', detail: '', children: [] };
  const stack: Array<{ depth: number; node: AstNode }> = [{ depth: -1, node: root }];
  for (const line of text.split('\n')) {
    if (line.trim().length === 0) continue;
    const depth = line.length - line.trimStart().length;
    const content = line.trim().replace(/ \(children \d+\)$/, '');
    const space = content.indexOf(' ');
    const node: AstNode = {
      type: space < 0 ? content : content.slice(0, space),
      detail: space < 0 ? '' : content.slice(space + 1),
      children: [],
    };
    while (stack[stack.length - 1]!.depth >= depth) stack.pop();
    stack[stack.length - 1]!.node.children.push(node);
    stack.push({ depth, node });
  }
  if (root.children.length !== 1) throw new Error(`EXPLAIN AST gave ${root.children.length} roots`);
  return root.children[0]!;
}

/**
 * Table functions that only compute or read this engine's own tables. Every other one (file, url,
 * s3, remote, mysql, postgresql, executable, eval, filesystem, ... and whatever a new ClickHouse
 * adds) is refused, also when called as a scalar function of the same name (`file()` reads files).
 */
const ALLOWED_TABLE_FUNCTIONS = new Set(
  ['numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'generate_series', 'generateSeries', 'primes', 'values', 'view', 'null', 'generateRandom', 'format', 'merge'].map(
    (name) => name.toLowerCase(),
  ),
);
/** Scalar functions that read files named in the query. */
const REFUSED_SCALAR_FUNCTIONS = new Set(['file', 'catboostevaluate']);

export const ALLOWED_STATEMENTS = 'SELECT, WITH ... SELECT, SHOW, DESCRIBE, EXPLAIN and EXISTS';

function isReadStatement(root: AstNode): boolean {
  if (root.type === 'SelectWithUnionQuery' || root.type === 'DescribeQuery') return true;
  if (/^Show[A-Za-z]*$/.test(root.type) || /^Exists[A-Za-z]*Query$/.test(root.type)) return true;
  if (root.type === 'Explain') {
    // EXPLAIN's options (`EXPLAIN indexes = 1`) are its Set child; the explained statement must
    // itself be one of the allowed kinds.
    const explained = root.children.find((child) => child.type !== 'Set' && child.type !== 'Identifier');
    return explained !== undefined && isReadStatement(explained);
  }
  return false;
}

function walk(node: AstNode, parent: AstNode | null, visit: (node: AstNode, parent: AstNode | null) => void): void {
  visit(node, parent);
  for (const child of node.children) walk(child, node, visit);
}

/** The canonical text without string literals and quoted identifiers, for keyword checks. */
function withoutQuoted(text: string): string {
  return text.replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`(?:[^`\\]|\\.)*`/g, "''");
}

export interface CheckedStatement {
  /** FORMAT clause of the statement, if any (it overrides default_format, as in ClickHouse). */
  format: string | undefined;
}

/**
 * Throws a GatewayError (400, READONLY) naming what is refused; `tableFunctions` is the engine's
 * system.table_functions list, lower-cased.
 */
export function checkStatement(formatted: string, ast: AstNode, tableFunctions: ReadonlySet<string>): CheckedStatement {
  const keyword = formatted.trimStart().split(/\s+/)[0]!.toUpperCase();
  if (!isReadStatement(ast)) {
    throw GatewayError.of(
      'READONLY',
      `${keyword} statements are refused: the analyst gateway is read-only and runs only ${ALLOWED_STATEMENTS}`,
      400,
    );
  }
  const unquoted = withoutQuoted(formatted);
  if (/\bINTO\s+OUTFILE\b/i.test(unquoted)) {
    throw GatewayError.of('READONLY', 'INTO OUTFILE is refused: results come back in the HTTP response only', 400);
  }
  walk(ast, null, (node, parent) => {
    if (node.type === 'SelectWithUnionQuery' && node.children.some((child) => child.type === 'Literal')) {
      // A Literal directly under a SELECT union is its INTO OUTFILE target.
      throw GatewayError.of('READONLY', 'INTO OUTFILE is refused: results come back in the HTTP response only', 400);
    }
    if (node.type === 'Set' && parent?.type !== 'Explain') {
      throw GatewayError.of(
        'READONLY',
        'SETTINGS clauses are refused: the gateway runs every query with readonly = 1 and fixed limits',
        400,
      );
    }
    if (node.type === 'Function') {
      const name = node.detail.split(' ')[0]!.toLowerCase();
      if (REFUSED_SCALAR_FUNCTIONS.has(name) || (tableFunctions.has(name) && !ALLOWED_TABLE_FUNCTIONS.has(name))) {
        throw GatewayError.of(
          'READONLY',
          `Function ${node.detail.split(' ')[0]} is refused: the analyst gateway reads only this database's tables (no files, URLs or remote servers)`,
          400,
        );
      }
    }
  });
  // formatQuery prints the top-level FORMAT clause on its own line, after any subquery, and escapes
  // line breaks inside literals, so a line starting with FORMAT is that clause.
  const formatLines = [...formatted.matchAll(/^FORMAT\s+`?([A-Za-z0-9_]+)`?\s*$/gm)];
  return { format: formatLines.length > 0 ? formatLines[formatLines.length - 1]![1] : undefined };
}
