#!/usr/bin/env node
// Renders build/icons/terok-setup.svg to the PNG sizes the Linux packages install
// (hicolor NxN.png), with Debian's Chromium through playwright-core.
// Usage: node scripts/render-icons.ts   (re-run after editing the SVG; commit the PNGs)
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const ICON_DIR = path.resolve(import.meta.dirname, '..', 'build', 'icons');
const SIZES = [16, 24, 32, 48, 64, 128, 256, 512];

const svg = readFileSync(path.join(ICON_DIR, 'terok-setup.svg'), 'utf8');
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage();
  for (const size of SIZES) {
    await page.setViewportSize({ width: size, height: size });
    await page.setContent(`<html><body style="margin:0;background:transparent">${svg.replace('<svg ', `<svg style="display:block;width:${size}px;height:${size}px" `)}</body></html>`);
    await page.locator('svg').screenshot({ path: path.join(ICON_DIR, `${size}x${size}.png`), omitBackground: true });
  }
} finally {
  await browser.close();
}
console.log(`rendered ${SIZES.map((s) => `${s}x${s}`).join(', ')} into ${ICON_DIR}`);
