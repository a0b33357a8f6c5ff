import { describe, expect, it } from 'vitest';
import { rewritePlaceholders } from '../../libs/state/src/sqlite.js';

describe('SQLite placeholders from the Postgres-style SQL of the repositories', () => {
  it('turns each $n into ? and binds parameters in order of appearance, repeats included', () => {
    expect(rewritePlaceholders('UPDATE t SET a = $2, b = $10 WHERE id = $1 OR parent = $1')).toEqual({
      sql: 'UPDATE t SET a = ?, b = ? WHERE id = ? OR parent = ?',
      order: [1, 9, 0, 0],
    });
  });

  it('leaves string literals, quoted identifiers and comments alone', () => {
    const sql = `SELECT '$1', "col$2", 'it''s $3' -- $4\n/* $5 */ FROM t WHERE x = $1`;
    expect(rewritePlaceholders(sql)).toEqual({ sql: sql.replace(/\$1$/, '?'), order: [0] });
  });
});
