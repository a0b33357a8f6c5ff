// Benchmarks, run on demand (never in CI): `npm run bench -- <name> [options]`.
//   cdc       snapshot rows/s, streaming changes/s, end-to-end lag (vs COPY read and Postgres write speed)
//   stats     computeGlobalStatistics in ClickHouse vs the same figures as plain SQL on Postgres
//   serve     cached statistics over HTTP with wrk (req/s vs a bare node:http server), API memory
//   live      commit → socket latency at 100 and 1 000 changes/s; tick fan-out to 10 000 sockets
//   generate  the data generator alone (rows/s), then drops the database
//   load      crowds (1 000 connections), constant writes (50 changes/s), /health alongside, a greedy analyst
//   xlsx      a raw Excel export of every request, payment and review (vs exceljs writing the same rows from memory), RSS
//   pdf       the full PDF report through the warm browser pool, 1 and 20 at once (vs a bare page.pdf()), browser memory
//   pageload  the web dashboard's tabs in Chromium on the embedded demo, cold and warm (vs a blank page, vs its API requests)
//   restart   time to serve numbers again after a clean stop and after SIGKILL (the service as a child process)
//   soak      an hour of writes, 1 000 sockets and 50 req/s: memory and event-loop trend, exact figures at the end
// Every figure comes with a baseline measured in the same run and the ratio between them: the
// machine is shared and noisy, absolute numbers move from run to run, ratios much less.
import { ConsoleLogger, Logger } from '@nestjs/common';
import { parseArgs } from './args.js';
import { runCdcBench } from './cdc.js';
import { runGenerateBench } from './generate-bench.js';
import { Cleanups } from './report.js';
import { runLiveBench } from './live.js';
import { runPageLoadBench } from './pageload.js';
import { runPdfBench } from './pdf.js';
import { runXlsxBench } from './xlsx.js';
import { runLoadBench } from './load.js';
import { runRestartBench } from './restart.js';
import { runServeBench } from './serve.js';
import { runSoakBench } from './soak.js';
import { runStatsBench } from './stats.js';

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  // The ingest logs through Nest (statistics.ingest): one line per record, no colours, so logs stay greppable.
  Logger.overrideLogger(new ConsoleLogger({ json: process.env.LOG_FORMAT === 'json', colors: false, compact: true }));
  const cleanups = new Cleanups();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: cleaning up (databases, replication slots, ClickHouse directories)...`);
    void cleanups.runAll().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const started = performance.now();
  try {
    if (args.name === 'cdc') await runCdcBench(args, cleanups);
    else if (args.name === 'stats') await runStatsBench(args, cleanups);
    else if (args.name === 'serve') await runServeBench(args, cleanups);
    else if (args.name === 'live') await runLiveBench(args, cleanups);
    else if (args.name === 'pdf') await runPdfBench(args, cleanups);
    else if (args.name === 'xlsx') await runXlsxBench(args, cleanups);
    else if (args.name === 'load') await runLoadBench(args, cleanups);
    else if (args.name === 'soak') await runSoakBench(args, cleanups);
    else if (args.name === 'restart') await runRestartBench(args, cleanups);
    else if (args.name === 'pageload') await runPageLoadBench(args, cleanups);
    else await runGenerateBench(args, cleanups);
  } finally {
    await cleanups.runAll();
    console.log(`\n${args.name}: ${((performance.now() - started) / 1000).toFixed(1)} s in total`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
