// The shared echo SCENARIO, run with the browser's own WebSocket API.
//
// Loaded by echo.html. Defines window.runScenario(url, onStep) which resolves
// to {passed, failed, skipped, steps}. Each step is reported through
// onStep({name, status: "PASS"|"FAIL"|"SKIP", detail, ms}) as it finishes.
//
// Same steps as scripts/ws_scenario_client.py and examples/echo_client.rs,
// except the ping/pong step: the browser WebSocket API cannot send pings, so
// that step is reported as SKIP.
"use strict";

(function () {
  const STEP_TIMEOUT_MS = 30000;
  const CLOSE_WAIT_MS = 1000; // see the "server closes TCP" step
  const ASCII_TEXT = "Hello, wsmachine! 0123456789 ~!@#$%^&*()";
  const CHINESE_TEXT = "你好，世界！WebSocket 协议测试：汉字與標點。𠜎𠜱𡃁"; // 3- and 4-byte UTF-8
  const SIZES = [125, 126, 65535, 65536, 16 * 1024 * 1024];
  const BURST = 1000;
  const CLOSE_REASON = "scenario complete";

  class StepError extends Error {}

  function fail(msg) {
    throw new StepError(msg);
  }

  function withTimeout(promise, ms, what) {
    let timer;
    const t = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new StepError(`${what}: timed out after ${ms} ms`)), ms);
    });
    return Promise.race([promise, t]).finally(() => clearTimeout(timer));
  }

  // Deterministic pseudo-random bytes (xorshift32 seeded by the size).
  function payload(size) {
    const out = new Uint8Array(size);
    let x = (size ^ 0x9e3779b9) >>> 0 || 1;
    let i = 0;
    for (; i + 4 <= size; i += 4) {
      x ^= x << 13; x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5; x >>>= 0;
      out[i] = x & 0xff;
      out[i + 1] = (x >>> 8) & 0xff;
      out[i + 2] = (x >>> 16) & 0xff;
      out[i + 3] = x >>> 24;
    }
    for (; i < size; i++) out[i] = (i * 31 + 7) & 0xff;
    return out;
  }

  function utf8Len(s) {
    return new TextEncoder().encode(s).length;
  }

  // A WebSocket wrapper with an ordered message queue.
  class Conn {
    constructor(url, protocols) {
      this.queue = [];
      this.waiters = [];
      this.closeEvent = null;
      this.closeWaiters = [];
      this.error = null;
      this.ws = new WebSocket(url, protocols);
      this.ws.binaryType = "arraybuffer";
      this.opened = new Promise((resolve, reject) => {
        this.ws.onopen = () => resolve();
        this.ws.onerror = () => {
          this.error = "WebSocket error event";
          reject(new StepError("WebSocket error event before open"));
        };
      });
      this.ws.onmessage = (ev) => {
        const w = this.waiters.shift();
        if (w) w.resolve(ev.data);
        else this.queue.push(ev.data);
      };
      this.ws.onclose = (ev) => {
        this.closeEvent = { code: ev.code, reason: ev.reason, wasClean: ev.wasClean, at: performance.now() };
        for (const w of this.waiters.splice(0)) {
          w.reject(new StepError(`connection closed (code ${ev.code}, reason "${ev.reason}") while waiting for a message`));
        }
        for (const w of this.closeWaiters.splice(0)) w(this.closeEvent);
      };
    }

    recv() {
      if (this.queue.length) return Promise.resolve(this.queue.shift());
      if (this.closeEvent) return Promise.reject(new StepError(`connection is closed (code ${this.closeEvent.code})`));
      return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
    }

    closed() {
      if (this.closeEvent) return Promise.resolve(this.closeEvent);
      return new Promise((resolve) => this.closeWaiters.push(resolve));
    }
  }

  function sameBytes(a, b) {
    if (a.length !== b.length) return -2;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
    return -1;
  }

  async function echoText(c, text) {
    c.ws.send(text);
    const got = await c.recv();
    if (typeof got !== "string") fail(`echo is binary (${got.byteLength} bytes), sent text`);
    if (got !== text) fail(`echo differs: sent ${JSON.stringify(text.slice(0, 60))}, got ${JSON.stringify(got.slice(0, 60))}`);
  }

  async function echoBinary(c, bytes) {
    c.ws.send(bytes);
    const got = await c.recv();
    if (typeof got === "string") fail(`echo is text (${got.length} chars), sent binary`);
    const view = new Uint8Array(got);
    const r = sameBytes(view, bytes);
    if (r === -2) fail(`echo has ${view.length} bytes, sent ${bytes.length}`);
    if (r >= 0) fail(`echo differs at byte ${r} of ${bytes.length}`);
  }

  async function runScenario(url, onStep) {
    const steps = [];
    const report = (s) => {
      steps.push(s);
      try { onStep && onStep(s); } catch (_) { /* ignore */ }
    };
    let c = null;
    let aborted = false;

    async function step(name, fn) {
      if (aborted) return false;
      const t0 = performance.now();
      try {
        const detail = await withTimeout(Promise.resolve().then(fn), STEP_TIMEOUT_MS, name);
        report({ name, status: "PASS", detail: detail || "", ms: Math.round(performance.now() - t0) });
        return true;
      } catch (e) {
        report({ name, status: "FAIL", detail: e && e.message ? e.message : String(e), ms: Math.round(performance.now() - t0) });
        aborted = true;
        return false;
      }
    }

    await step("connect (subprotocol chat)", async () => {
      c = new Conn(url, ["chat"]);
      await c.opened;
      if (c.ws.protocol !== "chat") fail(`negotiated subprotocol "${c.ws.protocol}", expected "chat"`);
      return `subprotocol "chat" negotiated, extensions "${c.ws.extensions}"`;
    });
    await step("text ASCII", async () => {
      await echoText(c, ASCII_TEXT);
      return `${ASCII_TEXT.length} chars / ${utf8Len(ASCII_TEXT)} UTF-8 bytes echoed`;
    });
    await step("text Chinese (multi-byte UTF-8)", async () => {
      await echoText(c, CHINESE_TEXT);
      return `${[...CHINESE_TEXT].length} chars / ${utf8Len(CHINESE_TEXT)} UTF-8 bytes echoed`;
    });
    await step("binary all 256 byte values", async () => {
      const b = new Uint8Array(256);
      for (let i = 0; i < 256; i++) b[i] = i;
      await echoBinary(c, b);
      return "256 bytes echoed byte for byte";
    });
    await step("empty messages", async () => {
      await echoText(c, "");
      await echoBinary(c, new Uint8Array(0));
      return "empty text and empty binary echoed";
    });
    for (const size of SIZES) {
      const label = size === 16 * 1024 * 1024 ? "16 MiB" : String(size);
      await step(`binary ${label} bytes`, async () => {
        await echoBinary(c, payload(size));
        return `${size} bytes echoed byte for byte`;
      });
    }
    await step(`burst of ${BURST} messages`, async () => {
      for (let i = 0; i < BURST; i++) c.ws.send(`burst-${String(i).padStart(4, "0")}`);
      for (let i = 0; i < BURST; i++) {
        const want = `burst-${String(i).padStart(4, "0")}`;
        const got = await c.recv();
        if (got !== want) fail(`message ${i}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
      }
      return `${BURST} messages echoed in order`;
    });
    if (!aborted) {
      report({ name: "ping/pong with payload", status: "SKIP",
               detail: "the browser WebSocket API cannot send pings (covered by echo_client and interop)", ms: 0 });
    }
    let closeStart = 0;
    let ev = null;
    await step("close 1000 with reason", async () => {
      closeStart = performance.now();
      c.ws.close(1000, CLOSE_REASON);
      ev = await c.closed();
      if (ev.code !== 1000) fail(`close event code ${ev.code} (reason "${ev.reason}"), expected 1000`);
      if (!ev.wasClean) fail("close event has wasClean=false");
      return `server answered close with code ${ev.code}, reason "${ev.reason}", wasClean=true`;
    });
    // Chromium fires the close event once the TCP connection is gone. After a
    // completed closing handshake it gives the server 2 s to close TCP before
    // dropping it itself, so a close event well under 2 s means the server
    // closed the TCP connection.
    await step("server closes TCP", async () => {
      const ms = ev.at - closeStart;
      if (ms > CLOSE_WAIT_MS) {
        fail(`close event came ${Math.round(ms)} ms after close(): the server did not close the TCP connection ` +
             "promptly after the close handshake (Chromium closes it itself after 2 s)");
      }
      return `close event ${Math.round(ms)} ms after close(): the server closed the TCP connection`;
    });
    if (c && c.ws.readyState !== WebSocket.CLOSED) {
      try { c.ws.close(); } catch (_) { /* ignore */ }
    }
    const count = (st) => steps.filter((s) => s.status === st).length;
    return { passed: count("PASS"), failed: count("FAIL"), skipped: count("SKIP"), steps };
  }

  window.runScenario = runScenario;
})();
