// The seed's argument, measured: the same chat traffic over HTTP long-polling and over
// WebSocket. CLIENTS socket.io-client members (the official client, one transport each
// run) join; one of them posts MESSAGES messages of 50 bytes, one every PACE ms; every
// member receives every message. All client traffic goes through a counting TCP relay
// in this process, so the bytes are what crosses the wire in both directions, HTTP
// request and response heads, WebSocket framing, Engine.IO heartbeats included (TCP/IP
// headers not). Latency is send to receipt, on this process's clock.
//
// WebSocket runs first: Node's polling transport opens one TCP connection per request
// (about 100 per delivered message here), whose TIME_WAIT ports would starve a run after it.
//
// usage: node tests/socketio/wire.mjs http://127.0.0.1:PORT [SVG_FILE] [JSON_FILE]
//        (env CLIENTS=100 MESSAGES=100 PACE=20)

import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { SioMember, expect, until, say, run } from './lib.mjs';

const [base, svgFile, jsonFile] = process.argv.slice(2);
if (!base) { console.error('usage: node wire.mjs http://HOST:PORT [SVG] [JSON]'); process.exit(2); }
const CLIENTS = Number(process.env.CLIENTS || 100);
const MESSAGES = Number(process.env.MESSAGES || 100);
const PACE = Number(process.env.PACE || 20);
const target = new URL(base);

// A relay on a free port that forwards to the chat and counts bytes both ways.
async function relay() {
  const counts = { up: 0, down: 0, connections: 0 };
  const server = net.createServer((client) => {
    counts.connections += 1;
    const upstream = net.connect(Number(target.port), target.hostname);
    client.on('data', (d) => { counts.up += d.length; upstream.write(d); });
    upstream.on('data', (d) => { counts.down += d.length; client.write(d); });
    const end = () => { client.destroy(); upstream.destroy(); };
    client.on('close', end); upstream.on('close', end);
    client.on('error', end); upstream.on('error', end);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, counts, url: `http://127.0.0.1:${server.address().port}` };
}

function quantile(sorted, q) { return sorted[Math.min(sorted.length - 1, Math.round((sorted.length - 1) * q))]; }

async function measure(mode) {
  const r = await relay();
  const members = [];
  for (let i = 0; i < CLIENTS; i += 1) members.push(new SioMember(r.url, mode));
  await Promise.all(members.map((m) => m.connect()));
  for (const [i, m] of members.entries()) {
    await m.join(`${mode}${i}`).catch((e) => { throw new Error(`${mode} member ${i}: ${e}: ${JSON.stringify(m.events.filter(([n]) => n !== 'joined'))}`); });
  }
  // Joins and the roster traffic are not part of the measurement: start counting now.
  await new Promise((res) => setTimeout(res, 300));
  const start = { ...r.counts };
  const latencies = [];
  const t0 = performance.now();
  for (const m of members) {
    m.socket.on('message', (d) => {
      const sent = Number(d.text.split(' ')[0]);
      if (sent > 0) latencies.push(performance.now() - sent);
    });
  }
  const sender = members[0];
  for (let i = 0; i < MESSAGES; i += 1) {
    // 50 bytes of text: the send time, padded.
    const stamp = performance.now().toFixed(3);
    sender.send(`${stamp} ${'m'.repeat(50 - stamp.length - 1)}`);
    await new Promise((res) => setTimeout(res, PACE));
  }
  await until(() => latencies.length >= CLIENTS * MESSAGES, `${mode}: all deliveries`, 30000);
  const seconds = (performance.now() - t0) / 1000;
  const bytes = r.counts.up - start.up + r.counts.down - start.down;
  const up = r.counts.up - start.up;
  const delivered = latencies.length;
  for (const m of members) m.close();
  r.server.close();
  latencies.sort((a, b) => a - b);
  const row = {
    transport: mode, clients: CLIENTS, messages: MESSAGES, delivered,
    bytes, up, down: bytes - up, bytesPerMessage: bytes / delivered,
    p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: latencies[latencies.length - 1],
    seconds, connections: r.counts.connections,
  };
  expect(delivered === CLIENTS * MESSAGES, `${mode}: delivered ${delivered}`);
  say(`${mode}: ${delivered} deliveries, ${bytes} bytes (${row.bytesPerMessage.toFixed(1)} per message), p50 ${row.p50.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms, TCP connections ${row.connections}`);
  return row;
}

function svg(rows) {
  // Two bar groups side by side: bytes per delivered message, and latency p50/p99.
  const W = 760, H = 320, pad = 56, colors = { polling: '#d9822b', websocket: '#2b7bd9' };
  const panel = (x0, title, values, unit) => {
    const max = Math.max(...values.map((v) => v.value)) * 1.15;
    const bw = 48, gap = 18, h = H - 2 * pad;
    let out = `<text x="${x0 + 160}" y="28" text-anchor="middle" font-weight="bold">${title}</text>`;
    out += `<line x1="${x0}" y1="${H - pad}" x2="${x0 + 320}" y2="${H - pad}" stroke="#333"/>`;
    values.forEach((v, i) => {
      const bh = (v.value / max) * h, x = x0 + 20 + i * (bw + gap), y = H - pad - bh;
      out += `<rect x="${x}" y="${y.toFixed(1)}" width="${bw}" height="${bh.toFixed(1)}" fill="${colors[v.transport]}"/>`;
      out += `<text x="${x + bw / 2}" y="${(y - 5).toFixed(1)}" text-anchor="middle" font-size="12">${v.value.toFixed(v.value < 10 ? 2 : 0)}${unit}</text>`;
      out += `<text x="${x + bw / 2}" y="${H - pad + 16}" text-anchor="middle" font-size="11">${v.label}</text>`;
    });
    return out;
  };
  const bytes = rows.map((r) => ({ transport: r.transport, label: r.transport, value: r.bytesPerMessage }));
  const lat = rows.flatMap((r) => [
    { transport: r.transport, label: `${r.transport.slice(0, 4)} p50`, value: r.p50 },
    { transport: r.transport, label: `${r.transport.slice(0, 4)} p99`, value: r.p99 },
  ]);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="14">
<rect width="100%" height="100%" fill="#fff"/>
${panel(20, 'bytes on the wire per delivered message', bytes, ' B')}
${panel(410, 'delivery latency', lat, ' ms')}
<text x="${W / 2}" y="${H - 22}" text-anchor="middle" font-size="11" fill="#555">${CLIENTS} socket.io-client members (Node), ${MESSAGES} messages of 50 bytes, one every ${PACE} ms, to the wsmachine chat on loopback;</text>
<text x="${W / 2}" y="${H - 8}" text-anchor="middle" font-size="11" fill="#555">bytes both ways: HTTP heads, WebSocket framing and Engine.IO heartbeats included</text>
</svg>
`;
}

run('wire: polling vs websocket', 120, async () => {
  const rows = [];
  for (const mode of (process.env.MODES || 'websocket,polling').split(',')) rows.push(await measure(mode));
  console.log('\n| transport | delivered | bytes on the wire | bytes / delivered message | p50 | p99 | max |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.transport} | ${r.delivered} | ${r.bytes} | ${r.bytesPerMessage.toFixed(1)} | ${r.p50.toFixed(2)} ms | ${r.p99.toFixed(2)} ms | ${r.max.toFixed(2)} ms |`);
  }
  const w = rows.find((r) => r.transport === 'websocket'), p = rows.find((r) => r.transport === 'polling');
  console.log(`\npolling / websocket: ${(p.bytesPerMessage / w.bytesPerMessage).toFixed(1)}x the bytes, ${(p.p50 / w.p50).toFixed(1)}x the median latency\n`);
  expect(w.bytesPerMessage < p.bytesPerMessage, 'websocket should cost fewer bytes per message than polling');
  if (svgFile) writeFileSync(svgFile, svg(rows));
  if (jsonFile) writeFileSync(jsonFile, JSON.stringify(rows, null, 1));
});
