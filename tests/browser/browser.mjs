// Headless Chromium (Debian's /usr/bin/chromium, or $SNET_CHROMIUM) driven by playwright-core:
// no browser download, no network, a fresh profile per launch (playwright makes a temp one).
import fs from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export const CHROMIUM = process.env.SNET_CHROMIUM ?? "/usr/bin/chromium";

function playwright() {
  try {
    return require("playwright-core");
  } catch {
    throw new Error("playwright-core is not installed: run `npm ci` in tests/browser (tools/test.sh does)");
  }
}

export async function launchBrowser() {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install chromium, or set SNET_CHROMIUM`);
  return playwright().chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
           "--no-first-run", "--disable-component-update", "--disable-sync"],
  });
}
