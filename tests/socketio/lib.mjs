// Shared helpers for the chat's Socket.IO tests: a member driven by the official
// socket.io-client, a plain /ws member driven by `ws`, and bounded waits.

import { io } from 'socket.io-client';
import WebSocket from 'ws';

export const T_WAIT = 8000;

export class Fail extends Error {}
export const expect = (cond, msg) => { if (!cond) throw new Fail(msg); };

const t0 = performance.now();
export const say = (msg) => console.log(`[${((performance.now() - t0) / 1000).toFixed(2).padStart(6)}s] ${msg}`);

// Resolves when `pred()` holds, polling every 10 ms; fails after `ms`.
export async function until(pred, what, ms = T_WAIT) {
  const end = performance.now() + ms;
  while (!pred()) {
    if (performance.now() > end) throw new Fail(`timed out (${ms} ms) waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// The three sessions the issue names, as socket.io-client options.
export const MODES = {
  websocket: { transports: ['websocket'] },
  polling: { transports: ['polling'], upgrade: false },
  upgrade: { transports: ['polling', 'websocket'] },
};

// One Socket.IO member: every event it got, in order, and its engine's transport.
export class SioMember {
  constructor(base, mode, extra = {}) {
    this.mode = mode;
    this.events = [];
    this.counts = {};
    this.upgraded = false;
    this.socket = io(base, { ...MODES[mode], reconnection: false, forceNew: true, timeout: T_WAIT, ...extra });
    // The Manager's `open` comes with the Engine.IO handshake, before any upgrade.
    this.socket.io.on('open', () => {
      this.firstTransport = this.socket.io.engine.transport.name;
      this.socket.io.engine.on('upgrade', () => { this.upgraded = true; });
    });
    for (const name of ['welcome', 'joined', 'left', 'message', 'error']) {
      this.socket.on(name, (data) => { this.events.push([name, data]); this.counts[name] = (this.counts[name] || 0) + 1; });
    }
    this.socket.on('disconnect', (reason) => this.events.push(['disconnect', reason]));
    this.socket.on('connect_error', (e) => this.events.push(['connect_error', String(e)]));
  }
  get transport() { return this.socket.io.engine && this.socket.io.engine.transport.name; }
  async connect() {
    await until(() => this.socket.connected || this.events.some(([n]) => n === 'connect_error'), `${this.mode} connect`);
    expect(this.socket.connected, `${this.mode}: ${JSON.stringify(this.events)}`);
  }
  async join(nick) {
    this.nick = nick;
    const ack = await this.socket.timeout(T_WAIT).emitWithAck('join', nick);
    expect(ack && ack.ok === true, `${this.mode}: join not acknowledged: ${JSON.stringify(ack)}`);
    await until(() => this.last('welcome'), `${this.mode} welcome`);
    this.id = this.last('welcome').id;
    return this.last('welcome');
  }
  send(text) { this.socket.emit('say', text); }
  last(name) { const e = this.events.filter(([n]) => n === name).pop(); return e && e[1]; }
  all(name) { return this.events.filter(([n]) => n === name).map(([, d]) => d); }
  count(name) { return this.counts[name] || 0; }
  close() { this.socket.close(); }
}

// One member of the plain room (/ws, tests/browser/chat_protocol.md).
export class PlainMember {
  constructor(base) {
    this.events = [];
    this.ws = new WebSocket(base.replace(/^http/, 'ws') + '/ws');
    this.counts = {};
    this.ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      this.events.push([m.type, m]);
      this.counts[m.type] = (this.counts[m.type] || 0) + 1;
    });
    this.ws.on('close', (code, reason) => { this.closed = { code, reason: reason.toString() }; });
    this.ws.on('error', (e) => { this.error = e; });
  }
  async join(nick) {
    await until(() => this.ws.readyState === WebSocket.OPEN, 'plain open');
    this.ws.send(JSON.stringify({ type: 'join', nick }));
    await until(() => this.last('welcome'), 'plain welcome');
    this.id = this.last('welcome').id;
  }
  send(text) { this.ws.send(JSON.stringify({ type: 'say', text })); }
  last(name) { const e = this.events.filter(([n]) => n === name).pop(); return e && e[1]; }
  all(name) { return this.events.filter(([n]) => n === name).map(([, d]) => d); }
  count(name) { return this.counts[name] || 0; }
  close() { this.ws.close(); }
}

// Runs `main` with a global deadline; exits 0 on success, 1 on failure.
export function run(name, seconds, main) {
  const watchdog = setTimeout(() => { console.error(`FAIL ${name}: global timeout ${seconds}s`); process.exit(1); }, seconds * 1000);
  main().then(() => {
    clearTimeout(watchdog);
    say(`PASS ${name}`);
    process.exit(0);
  }, (e) => {
    console.error(`FAIL ${name}: ${e instanceof Fail ? e.message : e.stack || e}`);
    process.exit(1);
  });
}
