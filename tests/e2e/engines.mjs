// The three browser engines, driven through W3C WebDriver (selenium-webdriver), for the
// tests that must hold in every engine (engines.test.mjs). Not a test file itself.
//
//   chromium  Debian's /usr/bin/chromium through /usr/bin/chromedriver, headless
//   firefox   Debian's firefox-esr through geckodriver (cargo install geckodriver), headless
//   webkit    WebKitGTK's MiniBrowser through WebKitWebDriver (Debian webkit2gtk-driver);
//             MiniBrowser has no headless mode, so the driver runs under `xvfb-run -a`
//
// scripts/setup --browser installs all of them. Each driver is started here on a free
// port and the session is made with `usingServer`, so selenium-webdriver never looks
// for (or downloads) a driver of its own. ENGINES=firefox,webkit picks engines.

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { existsSync } from 'node:fs';
import { Builder } from 'selenium-webdriver';

const CARGO_BIN = `${process.env.CARGO_HOME ?? `${homedir()}/.cargo`}/bin`;
const GECKODRIVER = process.env.GECKODRIVER ?? `${CARGO_BIN}/geckodriver`;
const MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

/** How to start each engine's driver, and the capabilities of its session. */
const SPECS = {
  chromium: {
    driver: (port) => ['/usr/bin/chromedriver', [`--port=${port}`]],
    capabilities: {
      browserName: 'chrome',
      'goog:chromeOptions': {
        binary: process.env.CHROMIUM ?? '/usr/bin/chromium',
        // Headless Chromium as root needs these (see DESIGN.md).
        args: [
          '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
          '--disable-background-networking', '--disable-component-update', '--disable-sync',
          '--disable-dev-shm-usage',
        ],
      },
    },
  },
  firefox: {
    driver: (port) => [GECKODRIVER, ['--port', String(port), '--host', '127.0.0.1']],
    capabilities: {
      browserName: 'firefox',
      'moz:firefoxOptions': {
        binary: '/usr/bin/firefox-esr',
        args: ['-headless'],
        // Nothing but the page may use the network.
        prefs: {
          'app.update.enabled': false,
          'browser.shell.checkDefaultBrowser': false,
          'datareporting.policy.dataSubmissionEnabled': false,
          'network.captive-portal-service.enabled': false,
          'network.connectivity-service.enabled': false,
          'toolkit.telemetry.enabled': false,
        },
      },
    },
  },
  webkit: {
    driver: (port) => ['xvfb-run', ['-a', '/usr/bin/WebKitWebDriver', `--port=${port}`]],
    capabilities: {
      browserName: 'MiniBrowser',
      'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
    },
  },
};

/** Engines to test: all three, or those named in ENGINES (comma-separated). */
export const ENGINES = (process.env.ENGINES ?? 'chromium,firefox,webkit').split(',').filter(Boolean);
for (const name of ENGINES) {
  if (!(name in SPECS)) throw new Error(`ENGINES: unknown engine ${name} (chromium, firefox, webkit)`);
}

/** Whether an engine's programs are installed (scripts/setup --browser installs them). */
export function installed(name) {
  const need = { chromium: ['/usr/bin/chromedriver'], firefox: [GECKODRIVER, '/usr/bin/firefox-esr'], webkit: ['/usr/bin/WebKitWebDriver', MINIBROWSER, '/usr/bin/xvfb-run'] }[name];
  return need.filter((path) => !existsSync(path));
}

// Killed by a signal, exit anyway, so the 'exit' handlers below end the drivers.
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(128 + (signal === 'SIGINT' ? 2 : 15)));

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts an engine: its driver on a free port, then a WebDriver session (`env`: extra
 * environment for the driver and the browser it starts, e.g. JSC_* options for WebKit).
 * Resolves to
 * {name, driver, quit()}; quit() ends the session and the driver process (and, for
 * WebKit, the Xvfb that xvfb-run started: its whole process group).
 */
export async function startEngine(name, { env = {} } = {}) {
  const spec = SPECS[name];
  const port = await freePort();
  const [cmd, args] = spec.driver(port);
  let log = '';
  // Its own process group, so quit() ends xvfb-run, Xvfb and the driver together.
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const killGroup = () => {
    try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
  };
  // Should this process end without quit() (an uncaught error, a test runner's kill),
  // the drivers and browsers still go with it.
  process.once('exit', killGroup);
  const url = `http://127.0.0.1:${port}`;
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${cmd} exited (${child.exitCode}): ${log}`);
      try {
        const res = await fetch(`${url}/status`);
        if (res.ok && (await res.json()).value?.ready !== false) break;
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) throw new Error(`${cmd} did not answer on ${url} within 30 s: ${log}`);
      await sleep(100);
    }
    const driver = await new Builder().usingServer(url).withCapabilities(spec.capabilities).build();
    await driver.manage().setTimeouts({ script: 60_000, pageLoad: 60_000 });
    return {
      name,
      driver,
      log: () => log,
      async quit() {
        try { await driver.quit(); } catch { /* the browser is gone already */ }
        killGroup();
        await Promise.race([exited, sleep(5_000)]);
      },
    };
  } catch (err) {
    killGroup();
    throw err;
  }
}
