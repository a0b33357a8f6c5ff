// The pgoutput decoder on messages built byte by byte from the protocol's documentation
// (https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html): values stay
// the text Postgres sent, NULL and unchanged TOAST values are told apart, old keys of updates are
// read and skipped, and what cannot be decoded fails loudly. The real stream is covered by the
// ingest's medium tests against Postgres.
import { describe, expect, it } from 'vitest';
import { PgOutputDecoder, pgTimestampToDate } from '../../apps/ingest/src/pgoutput.js';

/** Big-endian message writer, as a walsender writes them. */
class Message {
  private readonly parts: Buffer[] = [];

  constructor(code: string) {
    this.byte(code.charCodeAt(0));
  }

  byte(value: number): this {
    this.parts.push(Buffer.from([value]));
    return this;
  }
  int16(value: number): this {
    const buffer = Buffer.alloc(2);
    buffer.writeInt16BE(value);
    this.parts.push(buffer);
    return this;
  }
  int32(value: number): this {
    const buffer = Buffer.alloc(4);
    buffer.writeInt32BE(value);
    this.parts.push(buffer);
    return this;
  }
  uint32(value: number): this {
    const buffer = Buffer.alloc(4);
    buffer.writeUInt32BE(value);
    this.parts.push(buffer);
    return this;
  }
  int64(value: bigint): this {
    const buffer = Buffer.alloc(8);
    buffer.writeBigInt64BE(value);
    this.parts.push(buffer);
    return this;
  }
  cstring(value: string): this {
    this.parts.push(Buffer.from(value, 'utf8'), Buffer.from([0]));
    return this;
  }
  /** A tuple: 't' text values, null for 'n', undefined for 'u' (unchanged TOAST). */
  tuple(values: ReadonlyArray<string | null | undefined>): this {
    this.int16(values.length);
    for (const value of values) {
      if (value === null) this.byte('n'.charCodeAt(0));
      else if (value === undefined) this.byte('u'.charCodeAt(0));
      else {
        const text = Buffer.from(value, 'utf8');
        this.byte('t'.charCodeAt(0)).int32(text.length);
        this.parts.push(text);
      }
    }
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

// 2026-12-03 10:00:00.123456 UTC in microseconds since 2000-01-01.
const COMMIT_MICROS = BigInt(Date.UTC(2026, 11, 3, 10, 0, 0, 123) - Date.UTC(2000, 0, 1)) * 1000n + 456n;
const REQUESTS_OID = 16_400;

function relationMessage(): Buffer {
  const message = new Message('R').uint32(REQUESTS_OID).cstring('public').cstring('depannage_repairrequest').byte('d'.charCodeAt(0)).int16(3);
  for (const [flags, name, type] of [
    [1, 'id', 20],
    [0, 'status', 1043],
    [0, 'final_price', 1700],
  ] as const) {
    message.byte(flags).cstring(name).uint32(type).int32(-1);
  }
  return message.done();
}

function decoderWithRelation(): PgOutputDecoder {
  const decoder = new PgOutputDecoder();
  decoder.decode(relationMessage());
  return decoder;
}

describe('pgoutput decoder', () => {
  it('reads begin and commit with their positions and microsecond commit time', () => {
    const decoder = new PgOutputDecoder();
    const begin = decoder.decode(new Message('B').int64(0x16b3748n).int64(COMMIT_MICROS).uint32(771).done());
    expect(begin).toEqual({ tag: 'begin', finalLsn: 0x16b3748n, commitTime: pgTimestampToDate(COMMIT_MICROS), xid: 771 });
    expect(pgTimestampToDate(COMMIT_MICROS).toISOString()).toBe('2026-12-03T10:00:00.123Z');
    const commit = decoder.decode(new Message('C').byte(0).int64(0x16b3748n).int64(0x16b3778n).int64(COMMIT_MICROS).done());
    expect(commit).toEqual({ tag: 'commit', commitLsn: 0x16b3748n, endLsn: 0x16b3778n, commitTime: pgTimestampToDate(COMMIT_MICROS) });
  });

  it('keeps a relation and decodes its inserts as Postgres text, NULL apart', () => {
    const decoder = new PgOutputDecoder();
    const relation = decoder.decode(relationMessage());
    expect(relation).toMatchObject({
      tag: 'relation',
      relation: { oid: REQUESTS_OID, schema: 'public', name: 'depannage_repairrequest', columns: [{ name: 'id', isKey: true, typeOid: 20 }, { name: 'status', isKey: false }, { name: 'final_price', typeOid: 1700 }] },
    });
    const insert = decoder.decode(new Message('I').uint32(REQUESTS_OID).byte('N'.charCodeAt(0)).tuple(['9007199254740993', 'terminée ✓', null]).done());
    expect(insert.tag).toBe('insert');
    if (insert.tag !== 'insert') return;
    // Beyond 2^53 and non-ASCII: the exact text.
    expect([...insert.row.values]).toEqual([['id', '9007199254740993'], ['status', 'terminée ✓'], ['final_price', null]]);
    expect(insert.row.unchanged).toEqual([]);
  });

  it('reads an update with its old key first, and names unchanged TOAST columns', () => {
    const decoder = decoderWithRelation();
    const update = decoder.decode(
      new Message('U').uint32(REQUESTS_OID).byte('K'.charCodeAt(0)).tuple(['41', null, null]).byte('N'.charCodeAt(0)).tuple(['42', 'completed', undefined]).done(),
    );
    expect(update.tag).toBe('update');
    if (update.tag !== 'update') return;
    expect(update.oldKey?.values.get('id')).toBe('41');
    expect([...update.row.values]).toEqual([['id', '42'], ['status', 'completed']]);
    expect(update.row.unchanged).toEqual(['final_price']);
    const plain = decoder.decode(new Message('U').uint32(REQUESTS_OID).byte('N'.charCodeAt(0)).tuple(['42', 'paid', '12500.50']).done());
    expect(plain).toMatchObject({ tag: 'update', oldKey: null });
    if (plain.tag === 'update') expect(plain.row.values.get('final_price')).toBe('12500.50');
  });

  it('reads deletes by key and truncates of several relations', () => {
    const decoder = decoderWithRelation();
    const deleted = decoder.decode(new Message('D').uint32(REQUESTS_OID).byte('K'.charCodeAt(0)).tuple(['42', null, null]).done());
    expect(deleted.tag).toBe('delete');
    if (deleted.tag === 'delete') expect(deleted.key.values.get('id')).toBe('42');
    const truncate = decoder.decode(new Message('T').uint32(2).byte(0).uint32(REQUESTS_OID).uint32(REQUESTS_OID).done());
    expect(truncate.tag).toBe('truncate');
    if (truncate.tag === 'truncate') expect(truncate.relations.map((relation) => relation.name)).toEqual(['depannage_repairrequest', 'depannage_repairrequest']);
  });

  it('passes over messages it does not apply (origin, type, logical message)', () => {
    const decoder = new PgOutputDecoder();
    expect(decoder.decode(new Message('O').int64(1n).cstring('node_a').done())).toEqual({ tag: 'other', code: 'O' });
    expect(decoder.decode(new Message('Y').uint32(1).cstring('public').cstring('t').done())).toEqual({ tag: 'other', code: 'Y' });
  });

  it('refuses what it cannot apply exactly: an unknown relation, more values than columns, a binary value', () => {
    const decoder = new PgOutputDecoder();
    expect(() => decoder.decode(new Message('I').uint32(99).byte('N'.charCodeAt(0)).tuple(['1']).done())).toThrow(/unknown relation 99/);
    const known = decoderWithRelation();
    expect(() => known.decode(new Message('I').uint32(REQUESTS_OID).byte('N'.charCodeAt(0)).tuple(['1', 'a', 'b', 'c']).done())).toThrow(/more columns than its relation/);
    const binary = new Message('I').uint32(REQUESTS_OID).byte('N'.charCodeAt(0)).int16(1).byte('b'.charCodeAt(0)).int32(1).byte(1).done();
    expect(() => known.decode(binary)).toThrow(/unsupported tuple value kind b/);
    const badUpdate = new Message('U').uint32(REQUESTS_OID).byte('X'.charCodeAt(0)).done();
    expect(() => known.decode(badUpdate)).toThrow(/unexpected update tuple kind X/);
  });
});
