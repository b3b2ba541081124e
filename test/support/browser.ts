/**
 * A headless Chromium for page tests that `npm install` alone provides, since only the npm registry is reachable
 * here and Playwright's browser download is not: CHROME_PATH if set, else on Linux x64 the Chromium shipped inside
 * the @sparticuz/chromium tarball, else an installed Chromium, Chrome or Edge.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { brotliDecompressSync, createBrotliDecompress } from 'node:zlib';
import { chromium, type Browser, type LaunchOptions } from 'playwright-core';

/** Run as root in a container, and no traffic but the page's own. */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const INSTALL_HINT = 'install Google Chrome or Chromium, or set CHROME_PATH to a Chrome or Chromium executable';

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

interface ShippedChromium {
  executablePath: string;
  /** The NSS, NSPR and expat libraries shipped beside it, so a machine without them still runs it. */
  libraryPath: string;
}

/** Writes what `produce` makes under a temporary name and renames it into place only when complete. */
async function atomically(target: string, produce: (partial: string) => void | Promise<void>): Promise<void> {
  const partial = `${target}.${process.pid}.partial`;
  await produce(partial);
  renameSync(partial, target);
}

/**
 * The package's own executablePath() reuses whatever is at /tmp/chromium (another version, another user's file, a
 * half-written one) and sets the library path only on AWS Lambda; this inflates the shipped binary and libraries
 * once per package version beside node_modules.
 */
async function shippedChromium(): Promise<ShippedChromium> {
  const packageDir = join(dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium')), '..', '..');
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  const dir = join(packageDir, '..', '..', '.cache', `sparticuz-chromium-${version}`);
  const executablePath = join(dir, 'chromium');
  const libraryPath = join(dir, 'lib');
  mkdirSync(dir, { recursive: true });
  if (!existsSync(libraryPath)) {
    await atomically(libraryPath, (partial) => {
      rmSync(partial, { recursive: true, force: true });
      mkdirSync(partial);
      const tar = brotliDecompressSync(readFileSync(join(packageDir, 'bin', 'al2023.tar.br')));
      // The archive holds lib/*.so; --strip-components drops that folder.
      const untar = spawnSync('tar', ['-x', '-C', partial, '--strip-components=1'], { input: tar });
      if (untar.status !== 0) throw new Error(`tar could not unpack the shipped libraries: ${untar.stderr.toString().trim()}`);
    });
  }
  if (!existsSync(executablePath)) {
    await atomically(executablePath, (partial) =>
      pipeline(
        createReadStream(join(packageDir, 'bin', 'chromium.br')),
        createBrotliDecompress(),
        createWriteStream(partial, { mode: 0o755 }),
      ),
    );
  }
  return { executablePath, libraryPath };
}

/** Linux distributions' Chromium, which Playwright's channels do not cover, then Chrome and Edge where their installers put them. */
function installedBrowsers(): LaunchOptions[] {
  const distroChromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((path) => existsSync(path));
  return [...distroChromium.map((executablePath) => ({ executablePath })), { channel: 'chrome' }, { channel: 'msedge' }];
}

export async function launchChromium(): Promise<Browser> {
  const override = process.env['CHROME_PATH']?.trim();
  if (override) {
    try {
      return await chromium.launch({ executablePath: override, args: ARGS });
    } catch (error) {
      throw new Error(`CHROME_PATH=${override} did not start (${firstLine(error)}): set it to a Chrome or Chromium executable`, {
        cause: error,
      });
    }
  }
  if (process.platform === 'linux' && process.arch === 'x64') {
    try {
      const shipped = await shippedChromium();
      const libraries = [shipped.libraryPath, process.env['LD_LIBRARY_PATH']].filter(Boolean).join(':');
      return await chromium.launch({
        executablePath: shipped.executablePath,
        args: ARGS,
        env: { ...process.env, LD_LIBRARY_PATH: libraries },
      });
    } catch (error) {
      throw new Error(`the Chromium shipped in @sparticuz/chromium did not start (${firstLine(error)}); ${INSTALL_HINT}`, { cause: error });
    }
  }
  const failures: string[] = [];
  for (const options of installedBrowsers()) {
    try {
      return await chromium.launch({ ...options, args: ARGS });
    } catch (error) {
      failures.push(`${options.executablePath ?? options.channel ?? ''}: ${firstLine(error)}`);
    }
  }
  throw new Error(
    `no browser for the page tests on ${process.platform}-${process.arch}, where @sparticuz/chromium ships none (Linux x64 only): ` +
      `${INSTALL_HINT} (tried ${failures.join('; ')})`,
  );
}
