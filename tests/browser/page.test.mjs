// The voice page in real headless Chromium with the real @layercode/js-sdk from npm,
// served in place of the CDN. The voicebridge binary serves the page and /authorize;
// Layercode's REST API is a local fake and its WebSocket is faked by Playwright.
//
// Needs VOICEBRIDGE_BIN (the built binary) and Chromium at CHROMIUM_PATH
// (default /usr/bin/chromium); scripts/test provides both.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  launchChromium, listen, openPageIn, root, sdkFile, sdkUrl, startVoicebridge,
} from './harness.mjs';

const session = {
  client_session_key: 'csk_browser_test',
  conversation_id: 'conv_browser',
  config: { transcription: { trigger: 'automatic', can_interrupt: true }, vad: { enabled: false } },
};

let layercode; // fake REST API
let layercodePort;
let authorizeCalls = [];
let authorizeStatus = 200;
let server; // the voicebridge process
let baseUrl;
let browser;

before(async () => {
  layercode = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => {
      authorizeCalls.push({ path: request.url, auth: request.headers.authorization, body: JSON.parse(body) });
      response.writeHead(authorizeStatus, { 'content-type': 'application/json' });
      response.end(authorizeStatus === 200 ? JSON.stringify(session) : JSON.stringify({ error: 'Insufficient balance' }));
    });
  });
  layercodePort = await listen(layercode);

  ({ server, baseUrl } = await startVoicebridge(layercodePort, {
    LAYERCODE_AGENT_ID: 'agent_browser',
  }));

  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  layercode?.close();
});

/// A page of the test's server (or `url`), with Layercode's WebSocket answered by
/// `onSocket`.
function openPage(onSocket, viewport = { width: 1280, height: 800 }, url = baseUrl) {
  return openPageIn(browser, url, onSocket, viewport);
}

test('the page authorizes through our server, connects, shows streamed replies and sends typed text', async () => {
  authorizeCalls = [];
  authorizeStatus = 200;
  const received = [];
  let socketUrl = null;
  const { page, context } = await openPage((ws) => {
    socketUrl = ws.url();
    let greeted = false;
    const greet = () => {
      if (greeted) return;
      greeted = true;
      ws.send(JSON.stringify({ type: 'user.transcript', content: 'What is on the menu?', turn_id: 't1' }));
      // A first attempt cut off before it was spoken: the retry's text replaces it.
      ws.send(JSON.stringify({ type: 'response.data', content: { delta: 'Let me check th' }, turn_id: 't2' }));
      ws.send(JSON.stringify({ type: 'response.data', content: { retry: 1 }, turn_id: 't2' }));
      for (const delta of ['Today we have ', 'tomato soup ', 'and fresh bread.']) {
        ws.send(JSON.stringify({ type: 'response.data', content: { delta }, turn_id: 't2' }));
      }
      ws.send(JSON.stringify({ type: 'response.end', turn_id: 't2' }));
    };
    ws.onMessage((message) => {
      const parsed = JSON.parse(message);
      received.push(parsed);
      if (parsed.type === 'client.ready') greet();
    });
    setTimeout(greet, 1500);
  });

  await page.click('#connect');
  await page.waitForFunction(() => window.voicebridge.status === 'connected', null, { timeout: 20000 });
  assert.equal(await page.textContent('#status-text'), 'Connected');
  assert.deepEqual(authorizeCalls.length, 1);
  assert.equal(authorizeCalls[0].path, '/v1/agents/web/authorize_session');
  assert.equal(authorizeCalls[0].auth, 'Bearer lc_browser_key');
  assert.equal(authorizeCalls[0].body.agent_id, 'agent_browser');
  assert.match(socketUrl, /client_session_key=csk_browser_test/);

  await page.waitForSelector('.message.agent', { timeout: 10000 });
  await page.waitForFunction(
    () => document.querySelector('.message.agent .text')?.textContent === 'Today we have tomato soup and fresh bread.',
    null,
    { timeout: 10000 },
  );
  assert.equal(await page.textContent('.message.user .text'), 'What is on the menu?');

  await page.fill('#text', 'Typed hello');
  await page.click('#send');
  const deadline = Date.now() + 10000;
  while (!received.some((m) => m.type === 'client.response.text') && Date.now() < deadline) {
    await new Promise((ok) => setTimeout(ok, 50));
  }
  assert.deepEqual(received.find((m) => m.type === 'client.response.text'), { type: 'client.response.text', content: 'Typed hello' });
  const userTexts = await page.$$eval('.message.user .text', (nodes) => nodes.map((n) => n.textContent));
  assert.deepEqual(userTexts, ['What is on the menu?', 'Typed hello']);
  assert.deepEqual(await page.evaluate(() => window.cspViolations), [], 'the page runs within its policy');
  // The SDK loaded above passed the page's integrity check; it is the npm copy's hash.
  const sdkHash = `sha384-${createHash('sha384').update(readFileSync(sdkFile)).digest('base64')}`;
  const importMap = JSON.parse(await page.textContent('script[type=importmap]'));
  assert.equal(importMap.integrity[sdkUrl], sdkHash, 'SDK_INTEGRITY matches the pinned SDK');

  const shots = join(root, 'target/browser');
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, 'voice-page.png') });
  await context.close();

  // The same page on a phone-sized screen keeps its controls within the width.
  const phone = await openPage(() => {}, { width: 390, height: 844 });
  const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal scrolling on a phone (overflow ${overflow}px)`);
  await phone.page.screenshot({ path: join(shots, 'voice-page-phone.png') });
  await phone.context.close();
});

test('a message typed before connecting connects the page and is sent once the session is up', async () => {
  authorizeStatus = 200;
  const received = [];
  const { page, context } = await openPage((ws) => {
    ws.onMessage((message) => received.push(JSON.parse(message)));
  });
  assert.equal(await page.isEnabled('#text'), true, 'the text box can be used at once');
  await page.fill('#text', 'Are you open today?');
  await page.click('#send');
  await page.waitForFunction(() => window.voicebridge.status === 'connected', null, { timeout: 20000 });
  const deadline = Date.now() + 10000;
  while (!received.some((m) => m.type === 'client.response.text') && Date.now() < deadline) {
    await new Promise((ok) => setTimeout(ok, 50));
  }
  assert.deepEqual(received.filter((m) => m.type === 'client.response.text'), [
    { type: 'client.response.text', content: 'Are you open today?' },
  ]);
  assert.deepEqual(await page.$$eval('.message.user .text', (nodes) => nodes.map((n) => n.textContent)), ['Are you open today?']);
  await context.close();
});

test('after end_call the page hangs up once the goodbye is over', async () => {
  authorizeStatus = 200;
  let closed = false;
  const { page, context } = await openPage((ws) => {
    let said = false;
    const goodbye = () => {
      if (said) return;
      said = true;
      ws.send(JSON.stringify({ type: 'response.data', content: { delta: 'Goodbye, have a nice day!' }, turn_id: 't9' }));
      ws.send(JSON.stringify({ type: 'response.data', content: { action: 'end_call' }, turn_id: 't9' }));
      ws.send(JSON.stringify({ type: 'response.end', turn_id: 't9' }));
    };
    ws.onMessage((message) => {
      if (JSON.parse(message).type === 'client.ready') goodbye();
    });
    ws.onClose(() => { closed = true; });
    setTimeout(goodbye, 1500);
  });
  await page.click('#connect');
  await page.waitForFunction(() => window.voicebridge.status === 'connected', null, { timeout: 20000 });
  await page.waitForFunction(() => window.voicebridge.status === 'disconnected', null, { timeout: 15000 });
  assert.equal(await page.textContent('.message.agent .text'), 'Goodbye, have a nice day!');
  assert.equal(await page.textContent('.note'), 'The agent ended the call.');
  const deadline = Date.now() + 5000;
  while (!closed && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 50));
  assert.ok(closed, 'the WebSocket to Layercode was closed');
  await context.close();
});

test('the page runs the show_text client tool and answers with its result', async () => {
  authorizeStatus = 200;
  const received = [];
  const { page, context } = await openPage((ws) => {
    let asked = false;
    const ask = () => {
      if (asked) return;
      asked = true;
      ws.send(JSON.stringify({
        type: 'response.data',
        content: { tool_call: { id: 'c1', name: 'show_text', arguments: { title: 'Your code', text: '<b>A17</b>' } } },
        turn_id: 't9',
      }));
      ws.send(JSON.stringify({
        type: 'response.data',
        content: { tool_call: { id: 'c2', name: 'open_map', arguments: {} } },
        turn_id: 't9',
      }));
    };
    ws.onMessage((message) => {
      const parsed = JSON.parse(message);
      received.push(parsed);
      if (parsed.type === 'client.ready') ask();
    });
    setTimeout(ask, 1500);
  });
  await page.click('#connect');
  await page.waitForFunction(() => window.voicebridge.status === 'connected', null, { timeout: 20000 });
  await page.waitForSelector('.card', { timeout: 10000 });
  assert.equal(await page.textContent('.card .title'), 'Your code');
  assert.equal(await page.textContent('.card .text'), '<b>A17</b>');
  assert.equal(await page.$$eval('.card b', (nodes) => nodes.length), 0, 'inserted as text only');

  const answers = () => received.filter((m) => m.type === 'client.response.data');
  const deadline = Date.now() + 10000;
  while (answers().length < 2 && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 50));
  const byId = Object.fromEntries(answers().map((m) => [m.data.tool_result.id, m.data.tool_result.result]));
  assert.deepEqual(byId.c1, { shown: true });
  assert.equal(byId.c1.shown, true);
  assert.deepEqual(byId.c2, { error: 'this page has no handler for open_map' });
  assert.equal(await page.evaluate(() => typeof window.voicebridge.registerTool), 'function');
  await context.close();
});

test('an authorize failure is shown to the user', async () => {
  authorizeStatus = 402;
  const { page, context } = await openPage(() => {});
  await page.click('#connect');
  await page.waitForSelector('#error.visible', { timeout: 20000 });
  const message = await page.textContent('#error');
  assert.match(message, /Could not start a session/);
  assert.equal(await page.textContent('#status-text'), 'Error');
  await context.close();
  authorizeStatus = 200;
});

test('a server without LAYERCODE_API_KEY says so on the page, before Connect', async () => {
  const bare = await startVoicebridge(layercodePort, { LAYERCODE_API_KEY: '', LAYERCODE_AGENT_ID: 'ag_x' });
  try {
    const { page, context } = await openPage(() => {}, undefined, bare.baseUrl);
    await page.waitForSelector('#error.visible', { timeout: 10000 });
    assert.match(await page.textContent('#error'), /no LAYERCODE_API_KEY/);
    await page.click('#connect');
    assert.match(await page.textContent('#error'), /no LAYERCODE_API_KEY/);
    assert.equal(await page.textContent('#status-text'), 'Disconnected', 'nothing was tried');
    assert.deepEqual(await page.evaluate(() => window.cspViolations), []);
    await context.close();
  } finally {
    bare.server.kill('SIGTERM');
  }
});

test('with several agents the page offers a picker and authorizes the chosen agent', async () => {
  authorizeStatus = 200;
  authorizeCalls = [];
  const agents = join(tmpdir(), `voicebridge-browser-agents-${Date.now()}`);
  mkdirSync(agents, { recursive: true });
  const prompt = join(root, 'prompts/system.md');
  for (const [name, id] of [['sales', 'ag_sales'], ['support', 'ag_support']]) {
    writeFileSync(join(agents, `${name}.toml`), `prompt_file = "${prompt}"\nlayercode_agent_id = "${id}"\n`);
  }
  const multi = await startVoicebridge(layercodePort, { AGENTS_DIR: agents, DEFAULT_AGENT: 'support' });
  try {
    const { page, context } = await openPage(() => {}, undefined, `${multi.baseUrl}/?agent=sales`);
    assert.equal(await page.isVisible('#agent'), true);
    const options = await page.$$eval('#agent option', (nodes) => nodes.map((n) => n.value));
    assert.deepEqual(options, ['sales', 'support']);
    assert.equal(await page.inputValue('#agent'), 'sales');
    await page.selectOption('#agent', 'support');
    assert.match(page.url(), /agent=support/);
    await page.click('#connect');
    const deadline = Date.now() + 15000;
    while (authorizeCalls.length === 0 && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 50));
    assert.equal(authorizeCalls.length, 1);
    assert.equal(authorizeCalls[0].body.agent_id, 'ag_support');
    await context.close();

    // The single-agent page shows no picker.
    const single = await openPage(() => {});
    assert.equal(await single.page.isVisible('#agent'), false);
    await single.context.close();
  } finally {
    multi.server.kill('SIGTERM');
  }
});

test('the calls pages list a call and show its transcript as text, with a latency chart', async () => {
  // A model that always answers with markup-looking text, streamed. The speech filter
  // drops the tags before the reply is spoken (and recorded); the entity and the
  // comparison stay, and must show as typed.
  const model = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => {
      if (body.includes('please fail')) {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end('{"error":{"message":"down"}}');
        return;
      }
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (delta, finish) => `data: ${JSON.stringify({
        id: 'chatcmpl-1', object: 'chat.completion.chunk', model: 'fake-model',
        choices: [{ index: 0, delta, finish_reason: finish }],
      })}\n\n`;
      response.write(chunk({ role: 'assistant', content: 'Hello <b>there</b> &amp; 1 <2. ' }, null));
      response.write(chunk({}, 'stop'));
      response.end('data: [DONE]\n\n');
    });
  });
  const modelPort = await listen(model);
  const token = 'calls-page-admin-token-0123';
  const store = join(tmpdir(), `voicebridge-calls-page-${Date.now()}`);
  mkdirSync(store, { recursive: true });
  const calls = await startVoicebridge(layercodePort, {
    LLM_BASE_URL: `http://127.0.0.1:${modelPort}/v1`,
    LLM_MODEL: 'fake-model',
    WELCOME_MESSAGE: 'Hi, this is the test agent.',
    CALL_STORE_URL: `sqlite://${store}/calls.db`,
    ADMIN_TOKEN: token,
  });
  const conversation = 'conv_calls_page';
  const hostile = '<img src=x onerror=alert(1)>';
  const webhook = async (body) => {
    const response = await fetch(`${calls.baseUrl}/agent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: 'sess_calls_page', conversation_id: conversation, ...body }),
    });
    assert.equal(response.status, 200);
    return response.text(); // the whole SSE stream, to its end
  };
  try {
    await webhook({ type: 'session.start', turn_id: 't0' });
    const first = await webhook({ type: 'message', turn_id: 't1', text: hostile });
    assert.match(first, /response\.end/);
    await webhook({
      type: 'message', turn_id: 't2', text: 'And <script>alert(2)</script> too?',
      interruption_context: { previous_turn_interrupted: true, text_heard: 'Hello', assistant_turn_id: 't1' },
    });
    await webhook({ type: 'message', turn_id: 't3', text: 'please fail' });
    await webhook({ type: 'session.end', duration: 5000 });

    // The writer stores records in the background: wait for all four turns.
    const auth = { authorization: `Bearer ${token}` };
    let stored = null;
    for (let i = 0; i < 200 && !stored; i += 1) {
      const list = await (await fetch(`${calls.baseUrl}/api/calls`, { headers: auth })).json();
      if (list.calls?.some((c) => c.conversation_id === conversation)) {
        const call = await (await fetch(`${calls.baseUrl}/api/calls/${conversation}`, { headers: auth })).json();
        if (call.turns?.length === 4 && call.session_report) stored = call;
      }
      if (!stored) await new Promise((ok) => setTimeout(ok, 50));
    }
    assert.ok(stored, 'the call was stored');

    const context = await browser.newContext({
      viewport: { width: 1100, height: 1000 },
      serviceWorkers: 'block',
      httpCredentials: { username: 'admin', password: token },
    });
    const page = await context.newPage();
    const problems = [];
    page.on('console', (message) => { if (message.type() === 'error') problems.push(message.text()); });
    page.on('pageerror', (error) => problems.push(String(error)));
    page.on('dialog', (dialog) => problems.push(`unexpected dialog: ${dialog.message()}`));
    await page.route(/^https?:\/\/(?!127\.0\.0\.1)/, (route) => route.abort());

    const shots = join(root, 'target/browser');
    mkdirSync(shots, { recursive: true });
    // Paging: a second, newer call, one call a page; "Older" brings the first one.
    const second = 'conv_calls_page_2';
    const started = await fetch(`${calls.baseUrl}/agent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'session.start', session_id: 'sess_2', conversation_id: second, turn_id: 't0' }),
    });
    await started.text();
    let both = false;
    for (let i = 0; i < 200 && !both; i += 1) {
      const list = await (await fetch(`${calls.baseUrl}/api/calls`, { headers: auth })).json();
      both = list.calls?.length === 2;
      if (!both) await new Promise((ok) => setTimeout(ok, 50));
    }
    assert.ok(both, 'the second call was stored');
    await page.goto(`${calls.baseUrl}/calls?limit=1`);
    const rows = page.locator('#calls-body tr');
    await page.locator(`#calls-body tr[data-conversation-id="${second}"]`).waitFor({ timeout: 10000 });
    assert.equal(await rows.count(), 1, 'one call a page');
    assert.equal(await page.isVisible('#older'), true);
    await page.click('#older');
    await page.locator(`#calls-body tr[data-conversation-id="${conversation}"]`).waitFor({ timeout: 10000 });
    assert.equal(await rows.count(), 2);
    // That page was full too, so "Older" stays until a page comes back short.
    await page.click('#older');
    await page.waitForSelector('#older[hidden]', { state: 'attached', timeout: 10000 });
    assert.equal(await rows.count(), 2, 'no call shown twice');
    const removed = await fetch(`${calls.baseUrl}/api/calls/${second}`, { method: 'DELETE', headers: auth });
    assert.equal(removed.status, 204);

    await page.goto(`${calls.baseUrl}/calls`);
    const row = page.locator(`#calls-body tr[data-conversation-id="${conversation}"]`);
    await row.waitFor({ timeout: 10000 });
    await page.screenshot({ path: join(shots, 'calls-list.png') });
    const cells = await row.locator('td').allTextContents();
    assert.equal(cells[1], 'default');
    assert.equal(cells[2], hostile, 'the first thing the caller said, as text');
    assert.match(cells[3], /^\d+:\d\d$/);
    assert.equal(cells[4], '3', 'three message turns (the welcome is not counted)');
    assert.equal(cells[5], '0', 'no tool calls');
    assert.equal(cells[6], '—', 'the model reported no usage');
    assert.equal(cells[7], 'failed · 1 turn failed', 'the last turn failed, so the call did');

    await row.locator('a.call-link').click();
    await page.waitForSelector('body[data-loaded="call"]', { timeout: 10000 });
    assert.equal(new URL(page.url()).pathname, `/calls/${conversation}`);
    assert.equal(new URL(page.url()).searchParams.get('agent'), 'default');

    const userTexts = await page.$$eval('#transcript .message.user .text', (nodes) => nodes.map((n) => n.textContent));
    assert.deepEqual(userTexts, [hostile, 'And <script>alert(2)</script> too?', 'please fail']);
    const agentTexts = await page.$$eval('#transcript .message.agent .text', (nodes) => nodes.map((n) => n.textContent));
    assert.deepEqual(agentTexts, stored.turns.map((t) => t.agent_text));
    assert.deepEqual(agentTexts.slice(0, 3), ['Hi, this is the test agent.', 'Hello', 'Hello there &amp; 1 <2.']);
    assert.equal(await page.locator('#transcript .message.agent.failed').count(), 1, 'the failed turn is marked');
    assert.equal(await page.locator('#transcript img').count(), 0, 'no img element from the caller\'s words');
    assert.equal(await page.locator('#transcript b').count(), 0, 'no b element from the model\'s words');
    assert.equal(await page.locator('#transcript script').count(), 0);
    assert.equal(await page.locator('#transcript .message.agent .cut').count(), 1);
    assert.equal(await page.textContent('#transcript .message.agent .cut'), 'interrupted — heard up to here');
    assert.equal(await page.textContent('.message.agent .who'), 'Agent · welcome');

    const groups = await page.locator('#chart svg g.turn-bar').count();
    const timed = stored.turns.filter((t) => [t.first_token_ms, t.first_tts_ms, t.total_ms].some((v) => typeof v === 'number'));
    assert.ok(timed.length >= 3, `turns with timings: ${JSON.stringify(stored.turns)}`);
    assert.equal(groups, timed.length, 'one bar group per turn with timings (welcome included)');
    assert.ok(await page.locator('#chart svg rect').count() > 0, 'bars drawn');
    assert.equal(await page.isVisible('#legend'), true);

    await page.screenshot({ path: join(shots, 'calls-page.png'), fullPage: true });
    assert.deepEqual(problems, [], 'no console errors (a CSP violation would be one)');

    // On a phone-sized screen the chart is drawn at the screen's width: its labels keep
    // their size instead of being scaled down with the picture.
    const phone = await browser.newContext({
      viewport: { width: 375, height: 800 },
      serviceWorkers: 'block',
      httpCredentials: { username: 'admin', password: token },
    });
    const small = await phone.newPage();
    await small.goto(page.url());
    await small.waitForSelector('body[data-loaded="call"]', { timeout: 10000 });
    const chart = await small.$eval('#chart svg', (node) => ({
      drawn: node.getBoundingClientRect().width,
      width: node.viewBox.baseVal.width,
      label: node.querySelector('text.label').getBoundingClientRect().height,
      overflow: document.documentElement.scrollWidth - window.innerWidth,
    }));
    assert.ok(chart.drawn / chart.width > 0.97, `drawn at its own width: ${JSON.stringify(chart)}`);
    assert.ok(chart.label >= 10, `labels readable: ${JSON.stringify(chart)}`);
    assert.ok(chart.overflow <= 0, `no sideways scrolling: ${JSON.stringify(chart)}`);
    await small.screenshot({ path: join(shots, 'calls-page-phone.png'), fullPage: true });

    // A call that does not exist: a plain page that says so, with nothing to delete.
    await small.goto(`${calls.baseUrl}/calls/conv_never_was`);
    await small.waitForSelector('body[data-loaded="not-found"]', { timeout: 10000 });
    assert.equal(await small.isVisible('#not-found'), true);
    assert.equal(await small.textContent('#not-found-id'), 'conv_never_was');
    assert.equal(await small.isVisible('#delete'), false, 'no Delete button');
    assert.equal(await small.isVisible('#error'), false, 'not shown as an error');
    assert.equal(await small.title(), 'No such call · voicebridge');
    await phone.close();

    // Opened with the login in the address (http://admin:TOKEN@host/calls), the pages still
    // load their data: requests are built from the origin, which carries no credentials.
    const bare = await browser.newContext({ serviceWorkers: 'block' });
    const withLogin = await bare.newPage();
    const loginProblems = [];
    withLogin.on('pageerror', (error) => loginProblems.push(String(error)));
    withLogin.on('console', (message) => { if (message.type() === 'error') loginProblems.push(message.text()); });
    await withLogin.goto(`${calls.baseUrl.replace('://', `://admin:${token}@`)}/calls`);
    await withLogin.locator(`#calls-body tr[data-conversation-id="${conversation}"]`).waitFor({ timeout: 10000 });
    assert.equal(await withLogin.isVisible('#error'), false, 'no error shown');
    assert.deepEqual(loginProblems, []);
    await bare.close();

    // Deleting asks first, then goes back to the list, where the call is gone.
    page.removeAllListeners('dialog');
    page.once('dialog', (dialog) => dialog.accept());
    await page.click('#delete');
    await page.waitForURL(`${calls.baseUrl}/calls?agent=default`, { timeout: 10000 });
    await page.waitForSelector('#no-calls:not([hidden])', { timeout: 10000 });
    assert.equal(await row.count(), 0);
    const gone = await fetch(`${calls.baseUrl}/api/calls/${conversation}`, { headers: auth });
    assert.equal(gone.status, 404);
    assert.deepEqual(problems, [], 'no console errors');
    await context.close();
  } finally {
    calls.server.kill('SIGTERM');
    model.close();
  }
});
