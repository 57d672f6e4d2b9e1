// The official Kandy CPaaS SDK 4.9.0 in headless Chromium against kandysim:
// two users log in (password grant), subscribe over the WebSocket channel,
// alice calls bob, bob answers, alice hangs up; then alice calls a phone
// number answered by kandysim's endpoint.
// Usage: node sdk_call.mjs PORT NODE_MODULES_DIR CHROMIUM
// (with NODE_EXTRA_CA_CERTS naming the test CA, for the control API)
import { createRequire } from 'module';

const [port, modules, chromiumPath] = process.argv.slice(2);
const require = createRequire(modules + '/');
const { chromium } = require('playwright-core');
const sdkPath = require.resolve('@kandy-io/cpaas-sdk/dist/kandy.js');
const base = `https://127.0.0.1:${port}`;
const debug = !!process.env.KANDYSIM_SDK_DEBUG;
let failures = 0;

function check(cond, what) {
  console.log((cond ? 'ok   ' : 'FAIL ') + what);
  if (!cond) failures++;
}

async function openUser(browser, user, pass) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (debug || m.type() === 'error') console.log(`     [${user} console] ${m.text()}`);
  });
  // A page on kandysim's own origin: a secure context, no CORS needed,
  // and loopback to loopback for Chromium's local network access checks.
  await page.goto(`${base}/_sim/blank.html`);
  await page.addScriptTag({ path: sdkPath });
  await page.evaluate(async ({ user, pass, port, debug }) => {
    const r = await fetch('/cpaas/auth/v1/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `client_id=sdk&username=${user}&password=${pass}` +
        '&grant_type=password&scope=openid',
    });
    const t = await r.json();
    window.events = [];
    const client = Kandy.create({
      authentication: {
        server: { base: '127.0.0.1', port, protocol: 'https' },
        clientCorrelator: 'corr-' + user,
      },
      call: { sdpSemantics: 'unified-plan', iceServers: [] },
      logs: { logLevel: debug ? 'debug' : 'warn' },
    });
    window.client = client;
    client.on('call:receive', (p) => {
      window.events.push('receive');
      window.incoming = p.callId;
    });
    client.on('call:stateChange', (p) => {
      window.events.push('state:' + client.call.getById(p.callId).state);
    });
    client.on('call:error', (p) => window.events.push('error:' +
      (p.error && p.error.message)));
    client.setTokens({ accessToken: t.access_token, idToken: t.id_token });
    await new Promise((resolve, reject) => {
      client.on('subscription:change', () => {
        const s = client.services.getSubscriptions();
        if (!s.isPending && s.subscribed.length > 0) resolve();
      });
      client.on('subscription:error', (p) => reject(new Error(p.error.message)));
      client.services.subscribe(['call'], 'websocket');
      setTimeout(() => reject(new Error('subscribe timeout')), 20000);
    });
  }, { user, pass, port: Number(port), debug });
  return page;
}

async function waitFn(page, fn, arg, what, timeout = 15000) {
  try {
    await page.waitForFunction(fn, arg, { timeout });
    check(true, what);
    return true;
  } catch (e) {
    check(false, what);
    return false;
  }
}

async function waitEvent(page, ev, what, timeout = 15000) {
  try {
    await page.waitForFunction((e) => window.events.includes(e), ev,
      { timeout });
    check(true, what);
    return true;
  } catch (e) {
    check(false, what + ' (events: ' +
      (await page.evaluate(() => window.events.join(','))) + ')');
    return false;
  }
}

const browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--ignore-certificate-errors',
    '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
});
try {
  let alice, bob;
  try {
    alice = await openUser(browser, 'alice', 'alicepw');
    check(true, 'alice logged in and subscribed');
    bob = await openUser(browser, 'bob', 'bobpw');
    check(true, 'bob logged in and subscribed');
  } catch (e) {
    check(false, 'login and subscribe: ' + e.message);
    throw e;
  }
  await alice.evaluate(() => {
    window.callId = client.call.make('sip:bob@kandy.test',
      { audio: true, video: false });
  });
  if (await waitEvent(bob, 'receive', 'bob receives the call')) {
    await waitEvent(alice, 'state:Ringing', 'alice sees Ringing');
    // As a user would: answer once the SDK shows the call ringing.
    await waitEvent(bob, 'state:Ringing', 'bob: call Ringing');
    await bob.evaluate(() => client.call.answer(window.incoming,
      { audio: true, video: false }));
    await waitEvent(bob, 'state:Connected', 'bob: call Connected');
    await waitEvent(alice, 'state:Connected', 'alice: call Connected');
    // Hold and unhold: /update, wrtcsOfferNotification, /answer,
    // wrtcsAnswerNotification.
    await alice.evaluate(() => client.call.hold(window.callId));
    await waitFn(alice, () => client.call.getById(window.callId).localHold,
      null, 'alice: call held');
    await waitFn(bob, () => client.call.getById(window.incoming).remoteHold,
      null, 'bob: call held by the other side');
    await alice.evaluate(() => client.call.unhold(window.callId));
    await waitFn(alice, () => !client.call.getById(window.callId).localHold,
      null, 'alice: call resumed');
    await waitFn(bob, () => !client.call.getById(window.incoming).remoteHold,
      null, 'bob: call resumed by the other side');
    await alice.evaluate(() => client.call.end(window.callId));
    await waitEvent(alice, 'state:Ended', 'alice: call Ended');
    await waitEvent(bob, 'state:Ended', 'bob: call Ended after alice hangs up');
  }

  // A phone number: kandysim's endpoint answers.
  await alice.evaluate(() => {
    window.events = [];
    window.callId = client.call.make('tel:+971509999999',
      { audio: true, video: false });
  });
  await waitEvent(alice, 'state:Connected',
    'alice: call to a number Connected');
  await alice.evaluate(() => client.call.end(window.callId));
  await waitEvent(alice, 'state:Ended', 'alice: call to a number Ended');

  // An incoming call from a number (kandysim's offer) to bob.
  await bob.evaluate(() => { window.events = []; window.incoming = null; });
  const inc = await (await fetch(`${base}/_sim/incoming`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ from: '+971501234567', to: 'bob' }),
  })).json();
  check(inc.call_id > 0, 'incoming call placed on the control API');
  if (await waitEvent(bob, 'receive', 'bob receives the incoming call')) {
    await waitEvent(bob, 'state:Ringing', 'bob: incoming call Ringing');
    await bob.evaluate(() => client.call.answer(window.incoming,
      { audio: true, video: false }));
    await waitEvent(bob, 'state:Connected', 'bob: incoming call Connected');
    const st = await (await fetch(`${base}/_sim/calls/${inc.call_id}`))
      .json();
    check(st.state === 'connected', 'kandysim sees the call connected');
    await fetch(`${base}/_sim/calls/${inc.call_id}`, { method: 'DELETE' });
    await waitEvent(bob, 'state:Ended', 'bob: ended when the number hangs up');
  }

  // A number that kandysim rejects as busy.
  await alice.evaluate(() => {
    window.events = [];
    window.callId = client.call.make('tel:+971500004860',
      { audio: true, video: false });
  });
  await waitEvent(alice, 'state:Ended', 'alice: call to a busy number Ended');
  const errors = await alice.evaluate(() =>
    window.events.filter((e) => e.startsWith('error:')));
  check(errors.length === 0, 'no SDK call errors ' + errors.join(','));

  // Unsubscribe: the SDK deletes its subscription and its channel.
  const unsub = await alice.evaluate(() => new Promise((resolve) => {
    client.on('subscription:change', () => {
      const s = client.services.getSubscriptions();
      if (!s.isPending && s.subscribed.length === 0) resolve(true);
    });
    client.services.unsubscribe(['call'], 'websocket');
    setTimeout(() => resolve(false), 15000);
  }));
  check(unsub, 'alice unsubscribed');
} catch (e) {
  check(false, 'exception: ' + e.message);
} finally {
  await browser.close();
}
process.exit(failures ? 1 : 0);
