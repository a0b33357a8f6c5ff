// Which rooms exist and where their payloads come from. A room is `<kind>` or `<kind>:<argument>`;
// each feature registers its kinds (statistics: realtime, section; alerts: alerts; dashboards and
// exports theirs), so the gateway knows nothing of what it carries.
import { Injectable } from '@nestjs/common';

export interface RoomPayload {
  data: unknown;
  data_as_of: string | null;
}

export interface RoomSource {
  /** Replicated tables whose changes may move the payload; empty: only its owner pushes it. */
  tables: readonly string[];
  /** Pushed on every REAL_TIME_REFRESH_SECONDS tick. */
  tick: boolean;
  /** Keys of `data` that differ on every computation (clock times): ignored when asking "did a number move?". */
  volatile: readonly string[];
  current(): Promise<RoomPayload>;
  /**
   * Who may join, checked on every subscribe (rooms of one user's things, e.g. an export); absent:
   * every user admitted to the namespace. Throws RoomRefused with the reason.
   */
  admit?(viewer: RoomViewer): Promise<void>;
  /**
   * What a change-driven push sends instead of the whole payload, given the data last pushed to the
   * room (e.g. only the widgets that moved); absent: the whole payload. It must be safe for every
   * subscriber, including one that got a newer payload on subscribe (send values, not increments).
   */
  delta?(previous: unknown, next: unknown): unknown;
}

/** The user behind a socket, as authenticated on connect. */
export interface RoomViewer {
  id: number;
  userType: string;
  isStaff: boolean;
}

/** A subscribe that cannot be honoured; its message goes back in the acknowledgement. */
export class RoomRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RoomRefused';
  }
}

/** `null` argument: the room name had none. Throws RoomRefused for an argument it does not know. */
export type RoomResolver = (argument: string | null) => RoomSource;

const ROOM_PATTERN = /^([a-z_]{1,32})(?::([A-Za-z0-9_.-]{1,100}))?$/;

/** Kinds the protocol reserves for features that register them later. */
const RESERVED_KINDS: ReadonlyMap<string, string> = new Map(Object.entries({}));

@Injectable()
export class RoomDirectory {
  private readonly kinds = new Map<string, RoomResolver>();
  private readonly sources = new Map<string, RoomSource>();

  register(kind: string, resolver: RoomResolver): void {
    if (this.kinds.has(kind)) throw new Error(`room kind "${kind}" registered twice`);
    this.kinds.set(kind, resolver);
  }

  /** The source behind `room`; throws RoomRefused with a message a client can act on. */
  resolve(room: unknown): RoomSource {
    if (typeof room !== 'string') throw new RoomRefused('room must be a string such as "realtime" or "section:financial"');
    const known = this.sources.get(room);
    if (known) return known;
    const match = ROOM_PATTERN.exec(room);
    if (!match) throw new RoomRefused(`invalid room "${room.slice(0, 120)}": expected <kind> or <kind>:<id>`);
    const [, kind, argument] = match;
    const resolver = this.kinds.get(kind!);
    if (!resolver) {
      // A Map, not an object: a room named `__proto__` or `constructor` is just an unknown kind.
      const reserved = RESERVED_KINDS.get(kind!);
      throw new RoomRefused(reserved ?? `unknown room kind "${kind}"; available: ${[...this.kinds.keys()].join(', ')}`);
    }
    const source = resolver(argument ?? null);
    // Rooms of one user's things (admit) are checked again on every subscribe: not kept.
    if (!source.admit) this.sources.set(room, source);
    return source;
  }
}
