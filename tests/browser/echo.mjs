// Drive echo.html in headless Chromium (via playwright-core) against a
// running WebSocket echo server.
//
// Usage: node tests/browser/echo.mjs --ws ws://127.0.0.1:PORT
//          [--chromium /usr/bin/chromium] [--timeout SECONDS]
//
// Serves echo.html and scenario.js from this directory on a loopback-only
// HTTP server (random port), launches Chromium with a fresh user-data-dir,
// prints one line per scenario step and exits 0 only if no step failed.
// Exit codes: 0 pass, 1 a step failed, 2 usage/setup error, 3 timeout.

import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FILES = {
  "/echo.html": "text/html; charset=utf-8",
  "/scenario.js": "text/javascript; charset=utf-8",
};
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-quic",
  "--disable-component-update",
  "--disable-sync",
  "--no-proxy-server",
];

function parseArgs(argv) {
  const opts = { ws: null, chromium: "/usr/bin/chromium", timeout: 150, deflate: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === "--ws") { opts.ws = v; i++; }
    else if (a === "--chromium") { opts.chromium = v; i++; }
    else if (a === "--timeout") { opts.timeout = Number(v); i++; }
    else if (a === "--deflate") { opts.deflate = true; }
    else { throw new Error(`unknown argument ${a}`); }
  }
  if (!opts.ws || !/^wss?:\/\//.test(opts.ws)) throw new Error("--ws ws://HOST:PORT is required");
  if (!(opts.timeout > 0)) throw new Error("--timeout must be a positive number");
  return opts;
}

function log(msg) {
  process.stdout.write(`[browser] ${msg}\n`);
}

function startHttp() {
  const server = http.createServer((req, res) => {
    const p = new URL(req.url, "http://127.0.0.1").pathname;
    if (p === "/favicon.ico") {
      res.writeHead(204);
      res.end();
      return;
    }
    const type = FILES[p];
    if (req.method !== "GET" || !type) {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found\n");
      return;
    }
    const body = fs.readFileSync(path.join(HERE, p.slice(1)));
    res.writeHead(200, { "content-type": type, "cache-control": "no-store" });
    res.end(body);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e.message}\nusage: node echo.mjs --ws ws://HOST:PORT [--chromium PATH] [--timeout S] [--deflate]\n`);
    return 2;
  }
  if (!fs.existsSync(opts.chromium)) {
    log(`Chromium not found at ${opts.chromium}`);
    return 2;
  }

  const httpServer = await startHttp();
  const pageUrl = `http://127.0.0.1:${httpServer.address().port}/echo.html?ws=${encodeURIComponent(opts.ws)}${opts.deflate ? "&deflate=1" : ""}`;
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "wsmachine-chromium-"));
  let context = null;
  let timedOut = false;
  const hardTimer = setTimeout(() => {
    timedOut = true;
    log(`hard timeout of ${opts.timeout}s reached; giving up`);
    // Closing the context below unblocks any pending playwright call.
    if (context) context.close().catch(() => {});
  }, opts.timeout * 1000);

  let rc = 1;
  try {
    log(`launching ${opts.chromium} (user-data-dir ${userDataDir})`);
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: opts.chromium,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 60000,
    });
    const browserVersion = context.browser() ? context.browser().version() : "";
    const page = context.pages()[0] || (await context.newPage());
    const version = browserVersion || (await page.evaluate(() => navigator.userAgent));
    log(`Chromium ${version}`);
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") log(`page ${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => log(`page error: ${e.message}`));
    await page.exposeFunction("__reportStep", (s) => {
      const detail = s.detail ? ` ${s.detail}` : "";
      process.stdout.write(`${s.status.padEnd(4)}  ${s.name.padEnd(34)}${detail} (${s.ms} ms)\n`);
    });
    log(`page ${pageUrl}`);
    await page.goto(pageUrl, { timeout: 30000 });
    const remaining = Math.max(1000, opts.timeout * 1000 - 10000);
    await page.waitForFunction(() => window.__scenario && window.__scenario.done, null, {
      timeout: remaining,
      polling: 100,
    });
    const summary = await page.evaluate(() => window.__scenario);
    if (summary.error) log(`scenario crashed: ${summary.error}`);
    process.stdout.write(`browser: ${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped\n`);
    rc = summary.failed === 0 && summary.passed > 0 && !summary.error ? 0 : 1;
  } catch (e) {
    log(`error: ${e && e.message ? e.message.split("\n")[0] : e}`);
    rc = timedOut ? 3 : 1;
  } finally {
    clearTimeout(hardTimer);
    if (context) await context.close().catch(() => {});
    httpServer.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
  return rc;
}

main().then(
  (rc) => process.exit(rc),
  (e) => {
    process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
    process.exit(1);
  },
);
