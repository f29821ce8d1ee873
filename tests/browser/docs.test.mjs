// A realistic call, end to end, for the screenshots in docs/: the voice page talks to a
// fake Layercode that relays its turns to voicebridge's webhook and voicebridge's replies
// back, the model is a local fake that looks up an order with a tool, and the order API is
// a local fake too. The test checks what the pages show (tool activity, time to first
// audio, the call's tools, tokens and model) and takes
// the screenshots: into target/browser/docs/, and into docs/ with VOICEBRIDGE_DOCS_SCREENSHOTS=1.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, listen, openPageIn, root, startVoicebridge } from './harness.mjs';

const conversation = 'conv_7Qd2xK9mVb';
const shots = process.env.VOICEBRIDGE_DOCS_SCREENSHOTS === '1' ? join(root, 'docs') : join(root, 'target/browser/docs');
const servers = [];
let browser;
let voicebridge;

/// An HTTP server on a free port, closed after the tests.
async function serve(handler) {
  const server = createServer(handler);
  servers.push(server);
  return listen(server);
}

/// The model: asked about an order, it says it will check and calls get_order; given the
/// order, it answers; told that is all, it says goodbye. Every reply reports its usage.
function model(request, response) {
  let body = '';
  request.on('data', (chunk) => { body += chunk; });
  request.on('end', () => {
    const messages = JSON.parse(body).messages;
    const last = messages[messages.length - 1];
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    const send = (delta, finish = null) => response.write(`data: ${JSON.stringify({
      id: 'chatcmpl-docs', object: 'chat.completion.chunk', model: 'gpt-4o-mini',
      choices: [{ index: 0, delta, finish_reason: finish }],
    })}\n\n`);
    const usage = (prompt, completion) => response.write(`data: ${JSON.stringify({
      id: 'chatcmpl-docs', object: 'chat.completion.chunk', model: 'gpt-4o-mini', choices: [],
      usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
    })}\n\n`);
    if (last.role === 'tool') {
      send({ role: 'assistant', content: 'Good news: order A1042 shipped yesterday. ' });
      send({ content: 'It should arrive on Thursday, December 10th.' });
      send({}, 'stop');
      usage(412, 19);
    } else if (/order/i.test(last.content)) {
      send({ role: 'assistant', content: 'Let me check that for you. ' });
      send({ tool_calls: [{ index: 0, id: 'call_a1042', type: 'function', function: { name: 'get_order', arguments: '{"order_id":' } }] });
      send({ tool_calls: [{ index: 0, function: { arguments: '"A1042"}' } }] });
      send({}, 'tool_calls');
      usage(356, 24);
    } else {
      send({ role: 'assistant', content: 'You are welcome. Have a lovely evening!' });
      send({}, 'stop');
      usage(447, 11);
    }
    response.end('data: [DONE]\n\n');
  });
}

/// The order API: a second and a half to look the order up.
function orders(request, response) {
  setTimeout(() => {
    if (request.url === '/orders/A1042') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ order_id: 'A1042', status: 'shipped', shipped_on: '2026-12-06', eta: '2026-12-10' }));
    } else {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end('{"error":"no such order"}');
    }
  }, 1500);
}

/// An OTLP/HTTP collector that takes every export (the calls page links turns to traces).
function collector(request, response) {
  request.resume();
  request.on('end', () => {
    response.writeHead(200, { 'content-type': 'application/x-protobuf' });
    response.end();
  });
}

/// Layercode's authorize endpoint.
function layercode(request, response) {
  request.resume();
  request.on('end', () => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({
      client_session_key: 'csk_docs', conversation_id: conversation,
      config: { transcription: { trigger: 'automatic', can_interrupt: true }, vad: { enabled: false } },
    }));
  });
}

/// Posts a webhook to voicebridge and relays the reply's `response.data` and
/// `response.end` events to the page's socket as Layercode would, as they stream.
async function relay(ws, event) {
  const response = await fetch(`${voicebridge.baseUrl}/agent`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ session_id: 'sess_docs', conversation_id: conversation, ...event }),
  });
  assert.equal(response.status, 200);
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = frame.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('');
      if (!data) continue;
      const sent = JSON.parse(data);
      if (sent.type === 'response.data' || sent.type === 'response.end') {
        ws.send(JSON.stringify({ type: sent.type, content: sent.content, turn_id: event.turn_id }));
      }
    }
  }
}

before(async () => {
  const modelPort = await serve(model);
  const ordersPort = await serve(orders);
  const layercodePort = await serve(layercode);
  const collectorPort = await serve(collector);
  const tools = join(tmpdir(), `voicebridge-docs-tools-${Date.now()}`);
  mkdirSync(tools, { recursive: true });
  writeFileSync(join(tools, 'get_order.toml'), readFileSync(join(root, 'examples/tools/get_order.toml')));
  const store = join(tmpdir(), `voicebridge-docs-calls-${Date.now()}`);
  mkdirSync(store, { recursive: true });
  voicebridge = await startVoicebridge(layercodePort, {
    LLM_BASE_URL: `http://127.0.0.1:${modelPort}/v1`,
    LLM_MODEL: 'gpt-4o-mini',
    LAYERCODE_AGENT_ID: 'ag_docs',
    WELCOME_MESSAGE: 'Thanks for calling Harbor Books. How can I help?',
    TOOLS_DIR: tools,
    ORDERS_API_BASE: `http://127.0.0.1:${ordersPort}`,
    ORDERS_API_KEY: 'orders-docs-key-0123',
    CALL_STORE_URL: `sqlite://${store}/calls.db`,
    ADMIN_TOKEN: 'docs-admin-token-0123',
    OPENAI_DOOR_KEYS: 'docs-door-key-0123456789',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collectorPort}`,
    TRACE_URL_TEMPLATE: 'http://traces.example/trace/{trace_id}',
    KNOWLEDGE_DIR: join(root, 'examples/knowledge/knowledge'),
    PRICES_FILE: join(root, 'prompts/prices.toml'),
  });
  browser = await launchChromium();
  mkdirSync(shots, { recursive: true });
});

after(async () => {
  await browser?.close();
  voicebridge?.server.kill('SIGTERM');
  for (const server of servers) server.close();
});

test('a call with a tool: the voice page shows the lookup and the time to first audio, the calls pages its tools, tokens and model', async () => {
  const relays = [];
  let turn = 0;
  const { page, context } = await openPageIn(browser, voicebridge.baseUrl, (ws) => {
    let welcomed = false;
    const welcome = () => {
      if (welcomed) return;
      welcomed = true;
      relays.push(relay(ws, {
        type: 'session.start', turn_id: 'turn_0', from_phone_number: '+14155550142',
        metadata: { customer: 'Ana Ruiz', plan: 'Member' },
      }));
    };
    ws.onMessage((message) => {
      const parsed = JSON.parse(message);
      if (parsed.type === 'client.ready') welcome();
      if (parsed.type === 'client.response.text') {
        turn += 1;
        relays.push(relay(ws, { type: 'message', turn_id: `turn_${turn}`, text: parsed.content }));
      }
    });
    setTimeout(welcome, 1500);
  }, { width: 900, height: 760 });

  await page.click('#connect');
  await page.waitForFunction(() => window.voicebridge.status === 'connected', null, { timeout: 20000 });
  await page.waitForSelector('.message.agent', { timeout: 10000 });
  await page.fill('#text', 'Hi, where is my order A1042?');
  await page.click('#send');

  // While the order is looked up, the page says so.
  const activity = page.locator('.activity');
  await activity.waitFor({ timeout: 10000 });
  assert.equal(await activity.getAttribute('data-status'), 'started');
  assert.equal(await activity.textContent(), 'Running get order…');
  await page.waitForFunction(
    () => document.querySelectorAll('.message.agent').length === 2,
    null,
    { timeout: 10000 },
  );
  await page.screenshot({ path: join(shots, 'voice-page.png') });

  await page.waitForSelector('.activity[data-status="finished"]', { timeout: 10000 });
  assert.match(await activity.textContent(), /^Ran get order in \d+ ms$/);
  await page.waitForFunction(
    () => document.querySelectorAll('.message.agent .text')[1]?.textContent.includes('December 10th'),
    null,
    { timeout: 10000 },
  );
  const replies = await page.$$eval('.message.agent .text', (nodes) => nodes.map((n) => n.textContent));
  assert.deepEqual(replies, [
    'Thanks for calling Harbor Books. How can I help?',
    'Let me check that for you. Good news: order A1042 shipped yesterday. It should arrive on Thursday, December 10th.',
  ], 'the reply as written (the spoken filler line is shown by the activity line)');
  // The typed message's reply carries its time to first audio (no audio plays here, so
  // the first words); the welcome, which answers no turn, does not.
  const latencies = await page.$$eval('.message.agent', (nodes) => nodes.map((n) => n.querySelector('.latency')?.textContent ?? null));
  assert.equal(latencies[0], null);
  assert.match(latencies[1], /^first words after \d+ ms$/);

  await page.fill('#text', "That's all, thank you.");
  await page.click('#send');
  await page.waitForFunction(
    () => document.querySelectorAll('.message.agent').length === 3,
    null,
    { timeout: 10000 },
  );
  await Promise.all(relays);
  await context.close();
  await fetch(`${voicebridge.baseUrl}/agent`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'session.end', session_id: 'sess_docs', conversation_id: conversation, duration: 31000 }),
  });

  // The calls pages, once the writer has stored the three turns.
  const auth = { authorization: 'Bearer docs-admin-token-0123' };
  let stored = null;
  for (let i = 0; i < 200 && !stored; i += 1) {
    const response = await fetch(`${voicebridge.baseUrl}/api/calls/${conversation}`, { headers: auth });
    const call = response.ok ? await response.json() : null;
    if (call?.turns?.length === 3 && call.session_report) stored = call;
    else await new Promise((ok) => setTimeout(ok, 50));
  }
  assert.ok(stored, 'the call was stored');
  const admin = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    serviceWorkers: 'block',
    httpCredentials: { username: 'admin', password: 'docs-admin-token-0123' },
  });
  const calls = await admin.newPage();
  const problems = [];
  calls.on('console', (message) => { if (message.type() === 'error') problems.push(message.text()); });
  calls.on('pageerror', (error) => problems.push(String(error)));
  await calls.goto(`${voicebridge.baseUrl}/calls`);
  const row = calls.locator(`#calls-body tr[data-conversation-id="${conversation}"]`);
  await row.waitFor({ timeout: 10000 });
  const cells = await row.locator('td').allTextContents();
  assert.equal(cells[2], 'Hi, where is my order A1042?');
  assert.equal(cells[4], '2', 'two turns');
  assert.equal(cells[5], '1', 'one tool call');
  assert.equal(cells[6], (356 + 24 + 412 + 19 + 447 + 11).toLocaleString('en-US'), 'tokens in and out');
  assert.equal(cells[9], '$0.0002', 'the call\'s cost');
  await calls.locator('main').screenshot({ path: join(shots, 'calls-list.png') });

  // The overview above the list: every figure, a chart each, and the tools' table.
  await calls.waitForSelector('body[data-overview="loaded"]', { timeout: 10000 });
  const figures = await calls.$$eval('#figures .figure', (nodes) => nodes.map((n) => [n.querySelector('dt').textContent, n.querySelector('dd').textContent]));
  assert.equal(figures.length, 8, JSON.stringify(figures));
  const figure = (name) => figures.find(([dt]) => dt === name)?.[1];
  assert.equal(figure('Calls'), '1');
  assert.equal(figure('Turns'), '2');
  assert.match(figure('First audio p50 / p95'), /^\d+ ms \/ \d+ ms$/);
  assert.equal(figure('Cost'), '$0.0002 ($0.0002 a call)');
  const charts = await calls.$$eval('#charts figure', (nodes) => nodes.map((n) => [n.querySelector('figcaption').textContent, n.querySelectorAll('rect').length]));
  assert.equal(charts.length, 6, JSON.stringify(charts));
  for (const [title, bars] of charts.slice(0, 4)) assert.ok(bars > 0, `${title} draws its bars`);
  const tools = await calls.$$eval('#tool-stats tbody tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
  assert.deepEqual(tools, [['get_order', 'ok', '1']]);
  await calls.locator('#overview').screenshot({ path: join(shots, 'calls-overview.png') });
  await calls.setViewportSize({ width: 390, height: 844 });
  const narrow = await calls.$eval('#charts', (node) => node.scrollWidth <= node.clientWidth + 1);
  assert.ok(narrow, 'the charts fit a phone');
  await calls.setViewportSize({ width: 1280, height: 900 });

  await row.locator('a.call-link').click();
  await calls.waitForSelector('body[data-loaded="call"]', { timeout: 10000 });
  const facts = await calls.$$eval('#call-facts dt, #call-facts dd', (nodes) => nodes.map((n) => n.textContent));
  const fact = (name) => facts[facts.indexOf(name) + 1];
  assert.equal(fact('Model'), 'gpt-4o-mini');
  assert.equal(fact('Tokens'), '1,215 in · 54 out');
  // At the shipped price of gpt-4o-mini: 1,215 × $0.15 + 54 × $0.60 per million tokens.
  assert.equal(fact('Cost'), '$0.0002');
  assert.equal(fact('Tool calls'), '1');
  const turnFacts = await calls.$$eval('#transcript .turn-facts', (nodes) => nodes.map((n) => n.textContent));
  // The welcome is no model's (only its trace); the order turn took two model requests
  // around the tool, and its tokens are both requests'. Each turn links to its trace.
  assert.deepEqual(turnFacts.length, 3);
  assert.equal(turnFacts[0], 'trace');
  assert.match(turnFacts[1], /^gpt-4o-mini · 768 in · 43 out tokens · \$0\.0001 · 2 model requests · first audio \d+ ms · trace$/);
  assert.match(turnFacts[2], /^gpt-4o-mini · 447 in · 11 out tokens · \$0\.0001 · first audio \d+ ms · trace$/);
  const traceLinks = await calls.$$eval('#transcript .turn-facts a.trace', (nodes) => nodes.map((n) => n.href));
  assert.equal(traceLinks.length, 3);
  for (const link of traceLinks) assert.match(link, /^http:\/\/traces\.example\/trace\/[0-9a-f]{32}$/);
  assert.equal(new Set(traceLinks).size, 3, 'a trace per turn');
  // The order question found the FAQ's passage on orders; it is shown under the turn.
  const knowledge = await calls.$$eval('#transcript .turn', (turns) => turns.map(
    (t) => [...t.querySelectorAll('.knowledge .passage')].map((p) => p.textContent),
  ));
  assert.equal(knowledge[0].length, 0, 'the welcome searched nothing');
  assert.match(knowledge[1][0] ?? '', /^faq\.md › Harbor Books › Orders and delivery · \d+\.\d\d$/);
  await calls.click('#transcript .chip summary');
  assert.equal(await calls.textContent('#transcript .chip pre.arguments'), '{"order_id":"A1042"}');
  const result = JSON.parse(await calls.textContent('#transcript .chip pre.result'));
  assert.equal(result.status, 'shipped');
  await calls.screenshot({ path: join(shots, 'calls-page.png'), fullPage: true });
  assert.deepEqual(problems, [], 'no console errors on the calls pages');

  // A call through the OpenAI door, as Vapi makes one: on the calls pages under Vapi's
  // call id, marked as the door's.
  const vapiCall = 'vapi-call-docs-1';
  const door = await fetch(`${voicebridge.baseUrl}/openai/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer docs-door-key-0123456789' },
    body: JSON.stringify({
      stream: false, call: { id: vapiCall }, customer: { number: '+14155550142' },
      messages: [{ role: 'user', content: "That's all, thank you." }],
    }),
  });
  assert.equal(door.status, 200);
  assert.equal((await door.json()).choices[0].message.content, 'You are welcome. Have a lovely evening!');
  let listed = false;
  for (let i = 0; i < 200 && !listed; i += 1) {
    const response = await fetch(`${voicebridge.baseUrl}/api/calls/${vapiCall}`, { headers: auth });
    listed = response.ok;
    if (!listed) await new Promise((ok) => setTimeout(ok, 50));
  }
  await calls.goto(`${voicebridge.baseUrl}/calls`);
  const doorRow = calls.locator(`#calls-body tr[data-conversation-id="${vapiCall}"]`);
  await doorRow.waitFor({ timeout: 10000 });
  assert.equal((await doorRow.locator('td').allTextContents())[1], 'default · openai');
  await doorRow.locator('a.call-link').click();
  await calls.waitForSelector('body[data-loaded="call"]', { timeout: 10000 });
  const doorFacts = await calls.$$eval('#call-facts dt, #call-facts dd', (nodes) => nodes.map((n) => n.textContent));
  assert.equal(doorFacts[doorFacts.indexOf('Conversation') + 1], vapiCall);
  assert.equal(doorFacts[doorFacts.indexOf('Door') + 1], 'OpenAI-compatible (chat/completions)');
  assert.equal(doorFacts[doorFacts.indexOf('From') + 1], '+14155550142');
  await admin.close();
});
