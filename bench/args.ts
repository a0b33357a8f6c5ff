// Command line of bench/run.ts.

export const USAGE = `usage: node dist/bench/run.js <cdc|stats|serve|live|generate|pdf|xlsx|load|soak|pageload|restart> [options]
  --requests N    repair requests in the generated data set (default 1000000, soak 200000; 1e6, 10M accepted)
  --reps N        stats: timed repetitions per period and engine; pdf: sequential renders; pageload: rounds of the tabs (default 5)
  --burst N       cdc: changes in the streaming burst (default 200000)
  --rate N        cdc: changes per second of the steady load (default 1000)
  --duration S    cdc, live, load: seconds of steady load (default 20)
  --sockets N     live: concurrent sockets of the fan-out (default 10000); soak: live screens (default 1000)
  --http-rate N   soak: dashboard requests per second (default 50)
  --minutes N     soak: minutes of steady load (default 60)
  --max-stale S   soak: the dashboards' requests accept answers up to S seconds old (Cache-Control: max-stale)
  --parallelism N generator connections (default 2)
  --jit-off       stats: also time the Postgres figures with jit=off
  --database NAME stats, serve, xlsx, restart: use this already generated database (kept; restart writes 10 s of
                  simulated changes into it) instead of generating one`;

function parseCount(raw: string | undefined, flag: string): number {
  if (raw === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
  const match = /^(\d+(?:\.\d+)?)(e\d+|k|m)?$/i.exec(raw.replace(/_/g, ''));
  if (!match) throw new Error(`${flag}: expected a count such as 1000000, 1e6 or 10M, got "${raw}"`);
  const base = Number(match[1]);
  const suffix = match[2]?.toLowerCase();
  const value = suffix === 'k' ? base * 1e3 : suffix === 'm' ? base * 1e6 : suffix ? base * 10 ** Number(suffix.slice(1)) : base;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${flag}: expected a positive integer, got "${raw}"`);
  return value;
}

export interface BenchArgs {
  name: string;
  requests: number;
  reps: number;
  burst: number;
  rate: number;
  durationSeconds: number;
  parallelism: number;
  jitOff: boolean;
  /** stats, serve: an existing generated database to use (kept) instead of generating one. */
  database: string | null;
  /** live: concurrent sockets of the fan-out. */
  sockets: number;
  /** soak: minutes of steady load. */
  minutes: number;
  /** soak: Cache-Control max-stale of the dashboards' requests; null = fresh answers only. */
  maxStaleSeconds: number | null;
  /** soak: dashboard requests per second (default 50). */
  httpRate: number;
}

export function parseArgs(argv: string[]): BenchArgs {
  const args: BenchArgs = { name: '', requests: 1_000_000, reps: 5, burst: 200_000, rate: 1000, durationSeconds: 20, parallelism: 2, jitOff: false, database: null, sockets: 10_000, minutes: 60, maxStaleSeconds: null, httpRate: 50 };
  let requestsGiven = false;
  let socketsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--requests': args.requests = parseCount(value(), flag); requestsGiven = true; break;
      case '--reps': args.reps = parseCount(value(), flag); break;
      case '--burst': args.burst = parseCount(value(), flag); break;
      case '--rate': args.rate = parseCount(value(), flag); break;
      case '--duration': args.durationSeconds = parseCount(value(), flag); break;
      case '--parallelism': args.parallelism = parseCount(value(), flag); break;
      case '--jit-off': args.jitOff = true; break;
      case '--database': args.database = value() ?? null; break;
      case '--sockets': args.sockets = parseCount(value(), flag); socketsGiven = true; break;
      case '--http-rate': args.httpRate = parseCount(value(), flag); break;
      case '--minutes': args.minutes = parseCount(value(), flag); break;
      case '--max-stale': args.maxStaleSeconds = parseCount(value(), flag); break;
      case '--help': case '-h': console.log(USAGE); process.exit(0); break;
      default:
        if (flag.startsWith('-') || args.name) throw new Error(`unexpected argument "${arg}"\n${USAGE}`);
        args.name = flag;
    }
  }
  if (args.database !== null && !['stats', 'serve', 'xlsx', 'restart'].includes(args.name)) {
    throw new Error('--database is for stats, serve, xlsx and restart only (the others write to the database; restart writes 10 s of simulated changes)');
  }
  // The soak runs the demo simulator, whose row picks are tuned for a demo-sized database.
  if (args.name === 'soak' && !requestsGiven) args.requests = 200_000;
  if (args.name === 'soak' && !socketsGiven) args.sockets = 1000;
  if (!['cdc', 'stats', 'serve', 'live', 'generate', 'pdf', 'xlsx', 'load', 'soak', 'pageload', 'restart'].includes(args.name)) throw new Error(`unknown or missing benchmark "${args.name}"\n${USAGE}`);
  return args;
}
