// HTML → PDF through one warm Chromium: started on the first render and kept, with at most
// PDF_POOL_PAGES pages reused across renders; more renders wait their turn (FIFO). Each render is
// bounded by PDF_RENDER_TIMEOUT_SECONDS (the page is closed and replaced), a browser that crashes
// fails the renders under way with the reason and is started again on the next render. Pages run
// no JavaScript and reach nothing but data:/about: URLs: a template can never touch the network.
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { ChildProcess } from 'node:child_process';
import puppeteer, { type Browser, type HTTPRequest, type Page, type PDFOptions } from 'puppeteer-core';
import type { AppConfig } from '../../../../../libs/config/src/config.js';
import { APP_CONFIG } from '../../tokens.js';
import { findBrowser, type BrowserAvailability } from './browser.js';
import { errorMessage } from '../../../../../libs/errors/src/error-message.js';

export interface PdfRenderOptions {
  /** Puppeteer header/footer templates (HTML with .pageNumber/.totalPages spans); omitted = none. */
  headerTemplate?: string;
  footerTemplate?: string;
  /** A4 portrait unless true. */
  landscape?: boolean;
  /** Page margins (CSS lengths); defaults suit a header and footer. */
  margin?: { top?: string; bottom?: string; left?: string; right?: string };
}

/** No browser to render with: the message says how to install one. */
export class PdfUnavailableError extends Error {
  override readonly name = 'PdfUnavailableError';
}

/** The render failed or timed out: the message says why. */
export class PdfRenderError extends Error {
  override readonly name = 'PdfRenderError';
}

export interface BrowserPoolStatus {
  available: boolean;
  executable: string | null;
  source: BrowserAvailability['source'];
  error: string | null;
  browser: 'stopped' | 'starting' | 'running';
  /** Pages open in the browser (idle and busy). */
  pages: number;
  /** Renders under way (each holds a page, or is starting the browser for one). */
  busy: number;
  /** Renders waiting for a page. */
  waiting: number;
  /** Renders that returned a PDF / that failed, since boot. */
  renders: number;
  failures: number;
  /** Browsers started after the first one (after a crash, a kill or a page that would not close). */
  restarts: number;
}

export const DEFAULT_MARGIN = { top: '20mm', bottom: '18mm', left: '14mm', right: '14mm' } as const;

// Debian's Chromium looks up the network for its components and sync without these; the sandbox
// needs user namespaces that containers running as root usually lack (pages run no JavaScript).
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
  '--font-render-hinting=none',
];
const LAUNCH_TIMEOUT_MS = 30_000;
/** How long closing a page or the browser may take before its process is killed. */
const CLOSE_TIMEOUT_MS = 5_000;

/** One started browser; replaced as a whole when it is lost. */
interface Generation {
  browser: Browser;
  process: ChildProcess | null;
  idle: Page[];
  /** Pages open (idle + held by a render). */
  open: number;
  /** Renders holding one of its pages, failed at once when the browser is lost. */
  active: Set<(reason: string) => void>;
  /** Why it stopped, once it has (set by the first of disconnect / process exit). */
  lost: string | null;
  /** Closed by us (shutdown, or a page that would not close): not a crash. */
  stopping: boolean;
}

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

function describe(error: unknown): string {
  return errorMessage(error);
}

function bounded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** What the pool asks Chromium for (exported for the benchmark's bare baseline). */
export function puppeteerPdfOptions(options: PdfRenderOptions, timeoutMs: number): PDFOptions {
  return {
    format: 'A4',
    landscape: options.landscape ?? false,
    printBackground: true,
    displayHeaderFooter: options.headerTemplate !== undefined || options.footerTemplate !== undefined,
    // An empty template would make Chromium print its default one (date, title, URL).
    headerTemplate: options.headerTemplate ?? '<span></span>',
    footerTemplate: options.footerTemplate ?? '<span></span>',
    margin: { ...DEFAULT_MARGIN, ...options.margin },
    // The documents use local fonts only, and waiting for them would run a script in the page.
    waitForFonts: false,
    // Untagged: Chromium's structure tree makes a report ~4x bigger and long tables ~2x slower.
    tagged: false,
    timeout: timeoutMs,
  };
}

/** A PDF as Chromium writes it: header first, %%EOF last (a cut file lacks it). */
function checkPdf(bytes: Uint8Array): void {
  const text = (start: number, end: number): string => Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
  if (bytes.byteLength < 16 || text(0, 5) !== '%PDF-') {
    throw new PdfRenderError(`the browser returned no PDF (${bytes.byteLength} bytes not starting with %PDF-)`);
  }
  let end = bytes.byteLength;
  while (end > 0 && [0x0a, 0x0d, 0x20, 0x09, 0x00].includes(bytes[end - 1]!)) end--;
  if (text(Math.max(0, end - 5), end) !== '%%EOF') {
    throw new PdfRenderError(`the browser returned a truncated PDF (${bytes.byteLength} bytes without %%EOF at the end)`);
  }
}

@Injectable()
export class BrowserPool implements OnModuleDestroy {
  private readonly logger = new Logger('statistics.export');
  private readonly executablePath: string | undefined;
  private readonly size: number;
  private readonly timeoutMs: number;
  private current: Generation | null = null;
  private starting: Promise<Generation> | null = null;
  private launches = 0;
  /** Slots taken (≤ size): a slot is a page to render on. */
  private taken = 0;
  private readonly queue: Waiter[] = [];
  private drained: Array<() => void> = [];
  private rendered = 0;
  private failed = 0;
  private closing: Promise<void> | null = null;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.executablePath = config.pdf.executablePath;
    this.size = config.pdf.pages;
    this.timeoutMs = config.pdf.renderTimeoutSeconds * 1000;
  }

  /** The browser renders would use (looked up again each time: installing one needs no restart). */
  availability(): BrowserAvailability {
    return findBrowser(this.executablePath);
  }

  /**
   * Renders `html` (a complete document, no external resources) to PDF bytes. Checks the result
   * starts with %PDF- and ends with %%EOF; never returns an empty or truncated file. The time limit
   * counts from the moment the render has its page (not the wait in line, nor the browser's start).
   */
  async render(html: string, options: PdfRenderOptions = {}): Promise<Buffer> {
    if (this.closing) throw new PdfRenderError('the PDF renderer is shut down');
    if (!this.current) {
      // Fail at once rather than after the queue: nothing would render anyway.
      const availability = this.availability();
      if (!availability.available) throw new PdfUnavailableError(availability.error ?? 'no browser for PDF exports');
    }
    await this.acquire();
    try {
      const pdf = await this.renderOnPage(html, options);
      this.rendered++;
      return pdf;
    } catch (error) {
      this.failed++;
      throw error;
    } finally {
      this.release();
    }
  }

  status(): BrowserPoolStatus {
    const availability = this.availability();
    return {
      available: availability.available,
      executable: availability.executablePath,
      source: availability.source,
      error: availability.error,
      browser: this.current ? 'running' : this.starting ? 'starting' : 'stopped',
      pages: this.current?.open ?? 0,
      busy: this.taken,
      waiting: this.queue.length,
      renders: this.rendered,
      failures: this.failed,
      restarts: Math.max(0, this.launches - 1),
    };
  }

  /** The browser's process id while it runs (diagnostics, and the tests that kill it). */
  browserProcessId(): number | null {
    return this.current?.process?.pid ?? null;
  }

  /**
   * Refuses new renders and the waiting ones, lets those under way finish (each is bounded by the
   * render time limit), then closes the browser (killed if it does not close).
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  async onModuleDestroy(): Promise<void> {
    await this.close();
  }

  private async shutDown(): Promise<void> {
    for (const waiter of this.queue.splice(0)) waiter.reject(new PdfRenderError('the PDF renderer is shutting down'));
    if (this.taken > 0) {
      this.logger.log(`shutting down: waiting for ${this.taken} PDF render(s) under way`);
      const drained = new Promise<void>((resolve) => this.drained.push(resolve));
      await bounded(drained, this.timeoutMs + CLOSE_TIMEOUT_MS, 'the renders under way').catch((error: unknown) =>
        this.logger.warn(`shutting down anyway: ${describe(error)}`),
      );
    }
    const generation = this.current;
    this.current = null;
    if (generation) {
      await this.stop(generation, 'shutdown');
      this.logger.log('PDF browser closed');
    }
  }

  // ---- slots: at most `size` renders at once, the others in FIFO order ----

  private acquire(): Promise<void> {
    if (this.taken < this.size && this.queue.length === 0) {
      this.taken++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => this.queue.push({ resolve, reject }));
  }

  private release(): void {
    const next = this.queue.shift();
    if (next) {
      next.resolve(); // the slot passes to the next in line
      return;
    }
    this.taken--;
    if (this.taken === 0) for (const resolve of this.drained.splice(0)) resolve();
  }

  // ---- the browser ----

  private async running(): Promise<Generation> {
    if (this.current) return this.current;
    this.starting ??= this.launch().finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  private async launch(): Promise<Generation> {
    const availability = this.availability();
    if (!availability.available || !availability.executablePath) {
      throw new PdfUnavailableError(availability.error ?? 'no browser for PDF exports');
    }
    const started = performance.now();
    let browser: Browser;
    try {
      browser = await puppeteer.launch({
        executablePath: availability.executablePath,
        // chrome-headless-shell is the old headless mode as its own binary; a full Chrome uses the new one.
        headless: availability.executablePath.endsWith('chrome-headless-shell') ? 'shell' : true,
        pipe: true,
        args: CHROMIUM_ARGS,
        // Shutdown is the application's (close() on module destroy); Puppeteer's own handlers
        // would kill the browser under renders still finishing, or exit the process on SIGINT.
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
        timeout: LAUNCH_TIMEOUT_MS,
        protocolTimeout: this.timeoutMs + LAUNCH_TIMEOUT_MS,
      });
    } catch (error) {
      throw new PdfRenderError(`could not start the browser ${availability.executablePath} (${availability.source}): ${describe(error)}`);
    }
    const generation: Generation = { browser, process: browser.process(), idle: [], open: 0, active: new Set(), lost: null, stopping: false };
    browser.on('disconnected', () => this.lost(generation, 'the browser disconnected'));
    generation.process?.once('exit', (code, signal) => this.lost(generation, `the browser process exited (${signal ? `signal ${signal}` : `code ${code}`})`));
    if (this.closing) {
      await this.stop(generation, 'shutdown during start');
      throw new PdfRenderError('the PDF renderer is shut down');
    }
    // The tab Chromium opens at start becomes the first page of the pool.
    try {
      const [first] = await browser.pages();
      if (first) {
        await this.preparePage(first);
        generation.idle.push(first);
        generation.open++;
      }
    } catch (error) {
      await this.stop(generation, 'first page unusable');
      throw new PdfRenderError(`could not prepare the browser's first page: ${describe(error)}`);
    }
    this.launches++;
    this.current = generation;
    const restart = this.launches > 1 ? ` (restart ${this.launches - 1})` : '';
    this.logger.log(
      `PDF browser started${restart}: ${availability.executablePath} (${availability.source}), pid ${generation.process?.pid ?? '?'}, ${Math.round(performance.now() - started)} ms`,
    );
    return generation;
  }

  /** The browser stopped without being asked to: renders on it fail now, the next render starts another. */
  private lost(generation: Generation, reason: string): void {
    if (generation.lost !== null) return;
    generation.lost = reason;
    if (this.current === generation) this.current = null;
    generation.idle = [];
    if (generation.stopping) return;
    this.logger.warn(`PDF browser lost: ${reason}; ${generation.active.size} render(s) under way fail, the next render starts a new browser`);
    for (const fail of [...generation.active]) fail(`the browser stopped during the render: ${reason}`);
    // A disconnected browser whose process lives on would hold its memory forever.
    if (generation.process && generation.process.exitCode === null && generation.process.signalCode === null) {
      generation.process.kill('SIGKILL');
    }
  }

  private async stop(generation: Generation, why: string): Promise<void> {
    generation.stopping = true;
    if (this.current === generation) this.current = null;
    try {
      await bounded(generation.browser.close(), CLOSE_TIMEOUT_MS, 'closing the browser');
    } catch (error) {
      this.logger.warn(`PDF browser did not close (${why}): ${describe(error)}; killing pid ${generation.process?.pid ?? '?'}`);
      generation.process?.kill('SIGKILL');
    }
  }

  // ---- pages ----

  private async preparePage(page: Page): Promise<void> {
    // Static documents only: charts are inline SVG, so scripts have nothing to do.
    await page.setJavaScriptEnabled(false);
    await page.setRequestInterception(true);
    page.on('request', (request: HTTPRequest) => {
      const url = request.url();
      const allowed = url.startsWith('data:') || url.startsWith('about:');
      if (!allowed) this.logger.warn(`PDF template asked for ${url.slice(0, 200)}: blocked (templates must be self-contained)`);
      const decision = allowed ? request.continue() : request.abort('blockedbyclient');
      decision.catch((error: unknown) => this.logger.debug(`request ${url.slice(0, 100)} not ${allowed ? 'continued' : 'aborted'}: ${describe(error)}`));
    });
  }

  private async takePage(generation: Generation): Promise<Page> {
    const idle = generation.idle.pop();
    if (idle) return idle;
    generation.open++;
    try {
      const page = await generation.browser.newPage();
      await this.preparePage(page);
      return page;
    } catch (error) {
      generation.open--;
      throw new PdfRenderError(`could not open a browser page: ${generation.lost ?? describe(error)}`);
    }
  }

  /** A page that failed or timed out is closed (killing its renderer); one that will not close takes the browser with it. */
  private async discard(generation: Generation, page: Page): Promise<void> {
    generation.open--;
    if (generation.lost !== null) return;
    try {
      await bounded(page.close({ runBeforeUnload: false }), CLOSE_TIMEOUT_MS, 'closing the page');
    } catch (error) {
      this.logger.warn(`PDF page did not close: ${describe(error)}; restarting the browser`);
      await this.stop(generation, 'a page would not close');
    }
  }

  private async renderOnPage(html: string, options: PdfRenderOptions): Promise<Buffer> {
    const generation = await this.running();
    const page = await this.takePage(generation);
    const started = performance.now();
    try {
      const bytes = await this.withinLimit(generation, page, async () => {
        // Puppeteer's own limits are a backstop only: ours fires first and closes the page.
        const backstop = this.timeoutMs + CLOSE_TIMEOUT_MS;
        await page.setContent(html, { waitUntil: 'load', timeout: backstop });
        return page.pdf(puppeteerPdfOptions(options, backstop));
      });
      checkPdf(bytes);
      if (this.current === generation && generation.lost === null) generation.idle.push(page);
      else generation.open--;
      this.logger.debug(`PDF rendered: ${bytes.byteLength} bytes in ${Math.round(performance.now() - started)} ms`);
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (error) {
      await this.discard(generation, page);
      const failure = error instanceof PdfRenderError ? error : new PdfRenderError(`render failed: ${describe(error)}`);
      this.logger.warn(`PDF render failed after ${Math.round(performance.now() - started)} ms: ${failure.message}`);
      throw failure;
    }
  }

  /** `work` on `page`, failed with a reason on timeout, page crash or browser loss, whichever comes first. */
  private withinLimit(generation: Generation, page: Page, work: () => Promise<Uint8Array>): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      let settled = false;
      const settle = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        generation.active.delete(fail);
        page.off('error', onCrash);
        outcome();
      };
      const fail = (reason: string): void => settle(() => reject(new PdfRenderError(reason)));
      const onCrash = (error: Error): void => fail(`the page crashed during the render: ${error.message}`);
      const timer = setTimeout(() => fail(`render timed out after ${this.timeoutMs / 1000} s`), this.timeoutMs);
      generation.active.add(fail);
      page.on('error', onCrash);
      if (generation.lost !== null) {
        fail(`the browser stopped before the render: ${generation.lost}`);
        return;
      }
      work().then(
        (bytes) => settle(() => resolve(bytes)),
        (error: unknown) => {
          // A browser killed mid-render breaks the connection first; say so rather than "Target closed".
          if (!generation.browser.connected || generation.lost !== null) {
            setTimeout(() => fail(`the browser stopped during the render: ${generation.lost ?? 'the browser disconnected'}`), 200);
          } else {
            fail(`render failed: ${describe(error)}`);
          }
        },
      );
    });
  }
}
