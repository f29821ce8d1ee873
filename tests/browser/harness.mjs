// What the browser tests share: starting the voicebridge binary, Chromium, and a page
// with the Layercode SDK served locally and Layercode's WebSocket faked by Playwright.

import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, '../..');
export const sdkFile = join(here, 'node_modules/@layercode/js-sdk/dist/layercode-js-sdk.esm.js');
export const sdkUrl = 'https://cdn.jsdelivr.net/npm/@layercode/js-sdk@2.8.10/dist/layercode-js-sdk.esm.js';

export function listen(httpServer) {
  return new Promise((ok) => httpServer.listen(0, '127.0.0.1', () => ok(httpServer.address().port)));
}

export async function freePort() {
  const probe = createServer();
  const port = await listen(probe);
  await new Promise((ok) => probe.close(ok));
  return port;
}

export async function waitForHealth(url) {
  for (let i = 0; i < 200; i += 1) {
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) return;
    } catch { /* not up yet */ }
    await new Promise((ok) => setTimeout(ok, 50));
  }
  throw new Error('voicebridge did not start');
}

/// Starts the voicebridge binary with Layercode's API at `layercodePort` and `env`.
export async function startVoicebridge(layercodePort, env) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const workdir = join(tmpdir(), `voicebridge-browser-${port}`);
  mkdirSync(workdir, { recursive: true });
  const binary = process.env.VOICEBRIDGE_BIN || join(root, 'target/debug/voicebridge');
  const child = spawn(binary, [], {
    cwd: workdir,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      HOST: '127.0.0.1',
      PORT: String(port),
      ALLOW_UNSIGNED_WEBHOOKS: 'true',
      LLM_BASE_URL: 'http://127.0.0.1:9/v1',
      LAYERCODE_API_KEY: 'lc_browser_key',
      LAYERCODE_API_BASE: `http://127.0.0.1:${layercodePort}`,
      SYSTEM_PROMPT_FILE: join(root, 'prompts/system.md'),
      RUST_LOG: 'error',
      CALL_STORE_URL: 'off',
      ...env,
    },
  });
  await waitForHealth(url);
  return { server: child, baseUrl: url };
}

/// Headless Chromium with a fake microphone.
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/// A page with the SDK served locally, nothing else reaching the internet, and Layercode's
/// WebSocket answered by `onSocket`.
export async function openPageIn(browser, url, onSocket, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport, serviceWorkers: 'block' });
  await context.grantPermissions(['microphone'], { origin: new URL(url).origin });
  const page = await context.newPage();
  // What the page's Content-Security-Policy blocked, for tests to assert there is none.
  await page.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  // The last route registered wins: first block the internet, then serve the SDK.
  await page.route(/^https?:\/\/(?!127\.0\.0\.1)/, (route) => route.abort());
  await page.route(sdkUrl, (route) => route.fulfill({
    status: 200,
    contentType: 'application/javascript',
    headers: { 'access-control-allow-origin': '*' },
    body: readFileSync(sdkFile),
  }));
  await page.routeWebSocket(/wss:\/\/api\.layercode\.com\/v1\/agents\/web\/websocket/, onSocket);
  await page.goto(url);
  return { page, context };
}
