// Headless Chromium for browser tests: Debian's chromium driven by puppeteer-core through
// executablePath (puppeteer's own browser download cannot work on these machines).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@jest/globals';
import puppeteer, { type Browser } from 'puppeteer-core';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * True when Chromium is there to run the suite's browser tests. Otherwise the suite gets one test
 * in their place: under CI=true it fails (CI must install chromium, as .ci/run does); elsewhere
 * one line says the browser tests were skipped and why, and the test checks that Chromium is absent.
 */
export function hasChromium(suite: string): boolean {
  if (existsSync(chromiumPath)) return true;
  const why = `no Chromium at ${chromiumPath} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
  if (process.env.CI === 'true') {
    test(`${suite}: browser tests need Chromium`, () => {
      throw new Error(`${suite}: browser tests cannot run under CI=true: ${why}`);
    });
  } else {
    process.stderr.write(`${suite}: browser tests skipped: ${why}\n`);
    test(`${suite}: browser tests skipped because Chromium is absent`, () => expect(existsSync(chromiumPath)).toBe(false));
  }
  return false;
}

/** A fresh headless Chromium with its own profile folder; close() ends it and removes the folder. */
export async function launchBrowser(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'rl-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: chromiumPath,
    headless: true,
    userDataDir,
    // --no-sandbox: these machines run tests as root; the rest keep Chromium off the network.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const close = async () => {
    await browser.close();
    rmSync(userDataDir, { recursive: true, force: true, maxRetries: 5 });
  };
  return { browser, close };
}
