// Which Chromium renders the PDF reports: PUPPETEER_EXECUTABLE_PATH when set, else the system's
// (Debian's /usr/bin/chromium, or chromium-browser / google-chrome on PATH), else one installed in
// Puppeteer's own cache. Looking only: nothing is ever downloaded (the service may run offline),
// and when there is no browser the answer says how to install one.
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface BrowserAvailability {
  available: boolean;
  executablePath: string | null;
  source: 'PUPPETEER_EXECUTABLE_PATH' | 'system' | 'puppeteer-cache' | null;
  error: string | null;
}

const INSTALL_COMMANDS = '"apt-get install chromium" or "npx @puppeteer/browsers install chrome-headless-shell@stable"';
export const INSTALL_HINT = `install one with ${INSTALL_COMMANDS}, or set PUPPETEER_EXECUTABLE_PATH to a Chromium or Chrome executable`;

/** Debian's package first (what the Dockerfile installs), then the usual names on PATH. */
const SYSTEM_PATHS = ['/usr/bin/chromium'];
const SYSTEM_COMMANDS = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

export interface FindBrowserOptions {
  /** Puppeteer's cache (default ~/.cache/puppeteer, where `npx @puppeteer/browsers install` puts browsers). */
  cacheDir?: string;
  /** Absolute paths tried before PATH (default /usr/bin/chromium). */
  systemPaths?: string[];
  /** Command names looked up on PATH (default chromium, chromium-browser, google-chrome...). */
  systemCommands?: string[];
  /** The PATH searched (default the process's). */
  searchPath?: string;
}

/** Why `path` cannot be run, or null when it is an executable file. */
function notExecutable(path: string): string | null {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    return 'does not exist';
  }
  if (!isFile) return 'is not a file';
  try {
    accessSync(path, constants.X_OK);
  } catch {
    return 'is not executable';
  }
  return null;
}

function onPath(commands: string[], searchPath: string): string | null {
  for (const command of commands) {
    for (const directory of searchPath.split(delimiter).filter(Boolean)) {
      const candidate = join(directory, command);
      if (notExecutable(candidate) === null) return candidate;
    }
  }
  return null;
}

// @puppeteer/browsers comes with puppeteer-core (not a direct dependency of ours): use it when it
// resolves, else read the cache's layout ourselves. Any other failure to load it is a real error.
type BrowsersModule = typeof import('@puppeteer/browsers');
const puppeteerBrowsers: BrowsersModule | null = await import('@puppeteer/browsers').catch((error: unknown) => {
  if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return null;
  throw error;
});

/** Executables of the browsers in Puppeteer's cache, headless shell first (lighter, made for this). */
function cachedBrowsers(cacheDir: string): string[] {
  let installed: Array<{ browser: string; executablePath: string }>;
  if (puppeteerBrowsers) {
    installed = new puppeteerBrowsers.Cache(cacheDir).getInstalledBrowsers();
  } else {
    // Layout: <cache>/<browser>/<platform>-<buildId>/<browser>-<platform>/<browser executable>.
    installed = [];
    for (const browser of ['chrome-headless-shell', 'chrome']) {
      let builds: string[];
      try {
        builds = readdirSync(join(cacheDir, browser));
      } catch {
        continue;
      }
      for (const build of builds.filter((name) => name.startsWith('linux'))) {
        installed.push({ browser, executablePath: join(cacheDir, browser, build, `${browser}-linux64`, browser) });
      }
    }
  }
  const rank = (browser: string): number => (browser === 'chrome-headless-shell' ? 0 : browser === 'chrome' ? 1 : 2);
  return installed
    .filter((entry) => rank(entry.browser) < 2)
    .sort((a, b) => rank(a.browser) - rank(b.browser) || b.executablePath.localeCompare(a.executablePath))
    .map((entry) => entry.executablePath);
}

/** The browser the PDF reports would use, and where it was found; never throws. */
export function findBrowser(executablePath: string | undefined, options: FindBrowserOptions = {}): BrowserAvailability {
  if (executablePath !== undefined) {
    const problem = notExecutable(executablePath);
    if (problem === null) return { available: true, executablePath, source: 'PUPPETEER_EXECUTABLE_PATH', error: null };
    // An explicit setting that is wrong is reported, not silently replaced by another browser.
    return {
      available: false,
      executablePath: null,
      source: null,
      error: `PUPPETEER_EXECUTABLE_PATH=${executablePath} ${problem}: point it at a Chromium or Chrome executable, or unset it to use the system's browser (install one with ${INSTALL_COMMANDS})`,
    };
  }
  for (const path of options.systemPaths ?? SYSTEM_PATHS) {
    if (notExecutable(path) === null) return { available: true, executablePath: path, source: 'system', error: null };
  }
  const found = onPath(options.systemCommands ?? SYSTEM_COMMANDS, options.searchPath ?? process.env.PATH ?? '');
  if (found) return { available: true, executablePath: found, source: 'system', error: null };
  const cacheDir = options.cacheDir ?? join(homedir(), '.cache', 'puppeteer');
  const cached = cachedBrowsers(cacheDir).find((path) => notExecutable(path) === null);
  if (cached) return { available: true, executablePath: cached, source: 'puppeteer-cache', error: null };
  return {
    available: false,
    executablePath: null,
    source: null,
    error: `no Chromium or Chrome found for PDF exports (looked for ${(options.systemPaths ?? SYSTEM_PATHS).join(', ')}, ${(options.systemCommands ?? SYSTEM_COMMANDS).join(', ')} on PATH and in ${cacheDir}): ${INSTALL_HINT}`,
  };
}
