// The ingest's batcher: whole transactions, the latest change per row, deletions and truncations,
// other tables and schemas ignored, changes it cannot apply exactly refused.
import { describe, expect, it } from 'vitest';
import { addToBatch, emptyBatch } from '../../apps/ingest/src/batch.js';
import type { PgOutputMessage, Relation } from '../../apps/ingest/src/pgoutput.js';

const client: Relation = { oid: 1, schema: 'public', name: 'depannage_client', columns: [] };
const foreign: Relation = { oid: 2, schema: 'public', name: 'django_session', columns: [] };
const otherSchema: Relation = { oid: 3, schema: 'archive', name: 'depannage_client', columns: [] };

function row(values: Record<string, string | null>, unchanged: string[] = []): { values: Map<string, string | null>; unchanged: string[] } {
  return { values: new Map(Object.entries(values)), unchanged };
}

const begin: PgOutputMessage = { tag: 'begin', finalLsn: 100n, commitTime: new Date('2026-12-01T10:00:00Z'), xid: 7 };
const commit = (endLsn: bigint): PgOutputMessage => ({ tag: 'commit', commitLsn: endLsn - 1n, endLsn, commitTime: new Date('2026-12-01T10:00:01Z') });
const insert = (relation: Relation, id: string, active = 't'): PgOutputMessage => ({
  tag: 'insert',
  relation,
  row: row({ id, user_id: '5', is_active: active, created_at: '2026-12-01 10:00:00+00' }),
});

describe('the ingest batcher', () => {
  it('keeps the latest change of each row, counts changes and transactions, and ends at the last commit', () => {
    const batch = emptyBatch();
    expect(addToBatch(batch, begin, 90n)).toBe('begin');
    expect(addToBatch(batch, insert(client, '1'), 91n)).toBeNull();
    expect(addToBatch(batch, { tag: 'update', relation: client, row: row({ id: '1', user_id: '5', is_active: 'f', created_at: '2026-12-01 10:00:00+00' }), oldKey: null }, 92n)).toBeNull();
    expect(addToBatch(batch, insert(client, '2'), 93n)).toBeNull();
    expect(addToBatch(batch, commit(95n), 94n)).toBe('commit');
    addToBatch(batch, begin, 96n);
    addToBatch(batch, { tag: 'delete', relation: client, key: row({ id: '2' }) }, 97n);
    addToBatch(batch, commit(99n), 98n);
    expect(batch).toMatchObject({ changes: 4, transactions: 2, endLsn: 99n });
    const rows = batch.rows.get('depannage_client')!;
    expect([...rows.keys()]).toEqual(['1', '2']);
    expect(rows.get('1')).toEqual({ version: 92n, image: expect.stringContaining('"is_active":false') });
    expect(rows.get('2')).toEqual({ image: null, version: 97n });
  });

  it('ignores tables it does not replicate and other schemas, and relation messages', () => {
    const batch = emptyBatch();
    addToBatch(batch, insert(foreign, '1'), 1n);
    addToBatch(batch, insert(otherSchema, '1'), 2n);
    expect(addToBatch(batch, { tag: 'relation', relation: client }, 3n)).toBeNull();
    expect(batch.changes).toBe(0);
    expect(batch.rows.size).toBe(0);
  });

  it('a truncation drops the table\'s earlier changes in the batch and is written first', () => {
    const batch = emptyBatch();
    addToBatch(batch, insert(client, '1'), 1n);
    addToBatch(batch, { tag: 'truncate', relations: [client, foreign] }, 2n);
    expect(batch.rows.has('depannage_client')).toBe(false);
    expect([...batch.truncated]).toEqual(['depannage_client']);
    addToBatch(batch, insert(client, '3'), 3n);
    expect([...batch.rows.get('depannage_client')!.keys()]).toEqual(['3']);
    expect(batch.changes).toBe(3);
  });

  it('refuses a change without id and an update hiding a replicated column as unchanged TOAST', () => {
    expect(() => addToBatch(emptyBatch(), { tag: 'insert', relation: client, row: row({ user_id: '5' }) }, 1n)).toThrow('change without id');
    expect(() => addToBatch(emptyBatch(), { tag: 'delete', relation: client, key: row({}) }, 1n)).toThrow('delete without id');
    expect(() =>
      addToBatch(emptyBatch(), { tag: 'update', relation: client, row: row({ id: '1' }, ['is_active']), oldKey: null }, 1n),
    ).toThrow('REPLICA IDENTITY FULL');
  });
});
