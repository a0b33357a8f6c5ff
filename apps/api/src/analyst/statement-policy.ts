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

/**
 * The system tables an analyst may read: the engine's catalogue of what SQL can do (functions,
 * types, formats...), the same on every ClickHouse and saying nothing about this deployment.
 * Everything else in `system` (disks and tables with their paths, processes, errors, logs, users,
 * grants, settings, parts) and `information_schema` (every database's tables) is refused.
 * system.tables and system.columns are refused too: a row filter cannot hide their path columns,
 * and SHOW TABLES, SHOW COLUMNS and DESCRIBE give the same schema, scoped to this database.
 */
export const VISIBLE_SYSTEM_TABLES = [
  'one',
  'numbers',
  'numbers_mt',
  'zeros',
  'zeros_mt',
  'functions',
  'table_functions',
  'aggregate_function_combinators',
  'data_type_families',
  'formats',
  'time_zones',
  'collations',
  'keywords',
] as const;
const VISIBLE_SYSTEM = new Set<string>(VISIBLE_SYSTEM_TABLES);
/** Databases whose names, written as the first part of an identifier, mean the engine's own. */
const ENGINE_DATABASES = new Set(['system', 'information_schema']);
/** Scalar functions that read the server's state or other databases' tables by name. */
const REVEALING_FUNCTIONS = new Set(
  ['getServerSetting', 'getMergeTreeSetting', 'getMacro', 'hasColumnInTable', 'joinGet', 'joinGetOrNull', 'filesystemAvailable', 'filesystemCapacity', 'filesystemUnreserved', 'hostName', 'fqdn', 'serverUUID', 'currentProfiles', 'currentRoles', 'enabledRoles', 'defaultRoles', 'dictGet'].map((name) => name.toLowerCase()),
);
/** SHOW statements scoped to this database (by their canonical text); other SHOWs are refused. */
const VISIBLE_SHOW = /^SHOW\s+(?:FULL\s+)?(?:TABLES|COLUMNS|FIELDS|CREATE\s+(?:TEMPORARY\s+)?(?:TABLE|VIEW)|FUNCTIONS|INDEX|INDEXES|INDICES|KEYS)\b/i;

function accessDenied(what: string): GatewayError {
  return GatewayError.of(
    'ACCESS_DENIED',
    `${what} is not visible through the analyst gateway: it serves this database's tables and the engine's catalogue (system.${VISIBLE_SYSTEM_TABLES.join(', system.')}) only. Use SHOW TABLES, SHOW COLUMNS FROM <table> or DESCRIBE <table> for the schema`,
    403,
  );
}

/** Refuses a `database.table` name outside this database, unless it is a visible system table. */
function checkTableName(databaseName: string, tableName: string, database: string): void {
  if (databaseName === '' || databaseName === database) return;
  if (databaseName.toLowerCase() === 'system' && VISIBLE_SYSTEM.has(tableName.toLowerCase())) return;
  throw accessDenied(`${databaseName}.${tableName}`);
}

/** `a.b` of an identifier's detail, without backquotes and a trailing `(alias x)`. */
function nameParts(detail: string): string[] {
  return detail.replace(/ \(alias [^)]*\)$/, '').split('.').map((part) => part.replace(/^`|`$/g, '').replace(/^"|"$/g, ''));
}

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
function withoutQuotedStrings(text: string): string {
  return text.replace(/'(?:[^'\\]|\\.)*'/g, "''");
}

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
export function checkStatement(formatted: string, ast: AstNode, tableFunctions: ReadonlySet<string>, database: string): CheckedStatement {
  const keyword = formatted.trimStart().split(/\s+/)[0]!.toUpperCase();
  if (!isReadStatement(ast)) {
    throw GatewayError.of(
      'READONLY',
      `${keyword} statements are refused: the analyst gateway is read-only and runs only ${ALLOWED_STATEMENTS}`,
      400,
    );
  }
  const unquoted = withoutQuoted(formatted);
  checkVisibility(formatted, ast, database);
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

/**
 * What the statement reads must be this database's tables or the visible system tables, whichever
 * way it is named: FROM, JOIN, IN, subqueries and CTEs are all TableIdentifier or Identifier nodes
 * of the one tree; merge() takes a database argument, so only its one-argument form (this
 * database) is allowed; view() and the rest are walked like any subquery.
 */
function checkVisibility(formatted: string, ast: AstNode, database: string): void {
  const statement = ast.type === 'Explain' ? (ast.children.find((child) => child.type !== 'Set' && child.type !== 'Identifier') ?? ast) : ast;
  if (/^Show/.test(statement.type) || statement.type === 'SHOW') {
    const text = formatted.replace(/^EXPLAIN\b[^\n]*?\b(?=SHOW\b)/i, '').trimStart();
    if (!VISIBLE_SHOW.test(text)) throw accessDenied(text.split(/\s+/).slice(0, 2).join(' '));
    // SHOW COLUMNS/INDEX FROM <table> [FROM <db>] keep their names in the text only.
    const source = /\b(?:FROM|IN)\s+([`"]?[\w.]+[`"]?)(?:\s+(?:FROM|IN)\s+([`"]?\w+[`"]?))?/i.exec(withoutQuotedStrings(text));
    if (source !== null && /^SHOW\s+(?:FULL\s+)?TABLES\b/i.test(text)) {
      const databaseName = source[1]!.replace(/[`"]/g, '');
      if (databaseName !== database) throw accessDenied(`Database ${databaseName}`);
    } else if (source !== null) {
      const [first, second] = [source[1]!, source[2]].map((part) => part?.replace(/[`"]/g, ''));
      const parts = second !== undefined ? [second, first!] : nameParts(first!);
      if (parts.length >= 2) checkTableName(parts[0]!, parts[1]!, database);
    }
  }
  walk(ast, null, (node, parent) => {
    if (node.type === 'TableIdentifier') {
      const parts = nameParts(node.detail);
      if (parts.length >= 2) checkTableName(parts[0]!, parts[1]!, database);
    } else if (node.type === 'Identifier' && parent?.type !== 'Explain') {
      // `x IN system.tables`, SHOW TABLES FROM system, SHOW CREATE/EXISTS <db> <table>: an
      // identifier naming an engine database is refused whatever its role.
      const parts = nameParts(node.detail);
      const first = parts[0]!.toLowerCase();
      if (ENGINE_DATABASES.has(first) && !(parts.length === 2 && first === 'system' && VISIBLE_SYSTEM.has(parts[1]!.toLowerCase()))) {
        throw accessDenied(parts.join('.'));
      }
    } else if (/^(Show|Exists)[A-Za-z]*Query$/.test(node.type)) {
      // SHOW CREATE / EXISTS print `<database> <table>` (database empty when not written).
      const [databaseName, tableName] = node.detail.replace(/ \(children \d+\)$/, '').split(' ');
      if (tableName !== undefined) checkTableName(databaseName!, tableName, database);
    } else if (node.type === 'Function') {
      const name = node.detail.split(' ')[0]!;
      if (REVEALING_FUNCTIONS.has(name.toLowerCase()) || name.toLowerCase().startsWith('dictget')) throw accessDenied(`Function ${name}`);
      if (name.toLowerCase() === 'merge' && parent?.type === 'TableExpression') {
        const args = node.children[0]?.children ?? [];
        if (args.length !== 1 || args[0]!.type !== 'Literal') {
          throw accessDenied(`merge() over another database`);
        }
      }
    }
  });
}
