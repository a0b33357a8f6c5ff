// Real readers for the files the service writes: zip entries (yauzl), LibreOffice headless
// conversions (each with its own profile, so runs never lock each other) and poppler's tools.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import yauzl from 'yauzl';

export const run = promisify(execFile);

/** Every entry of a zip file, as text. */
export async function unzipText(path: string): Promise<Map<string, string>> {
  const zip = await yauzl.openPromise(path, { lazyEntries: true });
  const entries = new Map<string, string>();
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStreamPromise(entry).then(async (stream) => {
          const chunks: Buffer[] = [];
          for await (const chunk of stream) chunks.push(chunk as Buffer);
          entries.set(entry.fileName, Buffer.concat(chunks).toString('utf8'));
          zip.readEntry();
        }, reject);
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
  return entries;
}

/** Converts `file` with LibreOffice headless (`pdf`, `ods`…) into `outDir`; resolves to the output path. */
export async function libreOfficeConvert(file: string, format: string, outDir: string): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'lo-profile-'));
  try {
    await run('soffice', ['--headless', `-env:UserInstallation=file://${profile}`, '--convert-to', format, '--outdir', outDir, file], { timeout: 180_000 });
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
  const base = file.split('/').pop()!.replace(/\.[^.]+$/, '');
  return join(outDir, `${base}.${format.split(':')[0]}`);
}

export async function pdfText(path: string): Promise<string> {
  const { stdout } = await run('pdftotext', ['-layout', path, '-'], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

export async function pdfInfo(path: string): Promise<Record<string, string>> {
  const { stdout } = await run('pdfinfo', [path]);
  return Object.fromEntries(
    stdout
      .split('\n')
      .filter((line) => line.includes(':'))
      .map((line) => [line.slice(0, line.indexOf(':')).trim(), line.slice(line.indexOf(':') + 1).trim()]),
  );
}
