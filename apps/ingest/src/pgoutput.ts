// Decoder for the pgoutput logical replication protocol (version 1), keeping every value as the
// text Postgres sent: exact numerics and microsecond timestamps survive, unlike generic type parsers.
// https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html

export interface RelationColumn {
  name: string;
  isKey: boolean;
  typeOid: number;
}

export interface Relation {
  oid: number;
  schema: string;
  name: string;
  columns: RelationColumn[];
}

/** Column name → text value; null = SQL NULL. Unchanged TOAST values are absent (see `unchanged`). */
export interface TupleData {
  values: Map<string, string | null>;
  unchanged: string[];
}

export type PgOutputMessage =
  | { tag: 'begin'; finalLsn: bigint; commitTime: Date; xid: number }
  | { tag: 'commit'; commitLsn: bigint; endLsn: bigint; commitTime: Date }
  | { tag: 'relation'; relation: Relation }
  | { tag: 'insert'; relation: Relation; row: TupleData }
  | { tag: 'update'; relation: Relation; row: TupleData; oldKey: TupleData | null }
  | { tag: 'delete'; relation: Relation; key: TupleData }
  | { tag: 'truncate'; relations: Relation[] }
  | { tag: 'other'; code: string };

// Postgres epoch (2000-01-01) in Unix milliseconds.
const PG_EPOCH_MS = 946_684_800_000;

// The LSN helpers live with the ingest feed (the API needs them too, without importing the decoder).
export { formatLsn, parseLsn } from '../../../libs/ingest-feed/src/feed.js';

export function pgTimestampToDate(microsSincePgEpoch: bigint): Date {
  return new Date(PG_EPOCH_MS + Number(microsSincePgEpoch / 1000n));
}

class Reader {
  private offset = 0;
  constructor(private readonly buffer: Buffer) {}

  uint8(): number {
    return this.buffer.readUInt8(this.offset++);
  }
  int16(): number {
    const value = this.buffer.readInt16BE(this.offset);
    this.offset += 2;
    return value;
  }
  int32(): number {
    const value = this.buffer.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }
  uint32(): number {
    const value = this.buffer.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }
  int64(): bigint {
    const value = this.buffer.readBigInt64BE(this.offset);
    this.offset += 8;
    return value;
  }
  uint64(): bigint {
    const value = this.buffer.readBigUInt64BE(this.offset);
    this.offset += 8;
    return value;
  }
  cstring(): string {
    const end = this.buffer.indexOf(0, this.offset);
    if (end < 0) throw new Error('pgoutput: unterminated string');
    const value = this.buffer.toString('utf8', this.offset, end);
    this.offset = end + 1;
    return value;
  }
  text(length: number): string {
    const value = this.buffer.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
}

export class PgOutputDecoder {
  private readonly relations = new Map<number, Relation>();

  decode(buffer: Buffer): PgOutputMessage {
    const reader = new Reader(buffer);
    const code = String.fromCharCode(reader.uint8());
    switch (code) {
      case 'B': {
        const finalLsn = reader.uint64();
        const commitTime = pgTimestampToDate(reader.int64());
        return { tag: 'begin', finalLsn, commitTime, xid: reader.uint32() };
      }
      case 'C': {
        reader.uint8(); // flags, unused
        const commitLsn = reader.uint64();
        const endLsn = reader.uint64();
        return { tag: 'commit', commitLsn, endLsn, commitTime: pgTimestampToDate(reader.int64()) };
      }
      case 'R': {
        const oid = reader.uint32();
        const schema = reader.cstring();
        const name = reader.cstring();
        reader.uint8(); // replica identity setting
        const count = reader.int16();
        const columns: RelationColumn[] = [];
        for (let i = 0; i < count; i++) {
          const flags = reader.uint8();
          const columnName = reader.cstring();
          const typeOid = reader.uint32();
          reader.int32(); // type modifier
          columns.push({ name: columnName, isKey: (flags & 1) === 1, typeOid });
        }
        const relation = { oid, schema, name, columns };
        this.relations.set(oid, relation);
        return { tag: 'relation', relation };
      }
      case 'I': {
        const relation = this.relation(reader.uint32());
        reader.uint8(); // 'N'
        return { tag: 'insert', relation, row: this.tuple(reader, relation) };
      }
      case 'U': {
        const relation = this.relation(reader.uint32());
        let kind = String.fromCharCode(reader.uint8());
        let oldKey: TupleData | null = null;
        if (kind === 'K' || kind === 'O') {
          oldKey = this.tuple(reader, relation);
          kind = String.fromCharCode(reader.uint8());
        }
        if (kind !== 'N') throw new Error(`pgoutput: unexpected update tuple kind ${kind}`);
        return { tag: 'update', relation, row: this.tuple(reader, relation), oldKey };
      }
      case 'D': {
        const relation = this.relation(reader.uint32());
        reader.uint8(); // 'K' or 'O'
        return { tag: 'delete', relation, key: this.tuple(reader, relation) };
      }
      case 'T': {
        const count = reader.uint32();
        reader.uint8(); // options (cascade, restart identity)
        const relations: Relation[] = [];
        for (let i = 0; i < count; i++) relations.push(this.relation(reader.uint32()));
        return { tag: 'truncate', relations };
      }
      default:
        // 'O' origin, 'Y' type, 'M' logical message: nothing to apply.
        return { tag: 'other', code };
    }
  }

  private relation(oid: number): Relation {
    const relation = this.relations.get(oid);
    if (!relation) throw new Error(`pgoutput: change for unknown relation ${oid} (no Relation message seen)`);
    return relation;
  }

  private tuple(reader: Reader, relation: Relation): TupleData {
    const count = reader.int16();
    const values = new Map<string, string | null>();
    const unchanged: string[] = [];
    for (let i = 0; i < count; i++) {
      const column = relation.columns[i];
      if (!column) throw new Error(`pgoutput: tuple of ${relation.name} has more columns than its relation`);
      const kind = String.fromCharCode(reader.uint8());
      if (kind === 'n') values.set(column.name, null);
      else if (kind === 'u') unchanged.push(column.name);
      else if (kind === 't') values.set(column.name, reader.text(reader.int32()));
      else throw new Error(`pgoutput: unsupported tuple value kind ${kind}`);
    }
    return { values, unchanged };
  }
}
