// The official Kandy CPaaS SDK 4.9.0 in headless Chromium against kandysim:
// two users log in (password grant), subscribe over the WebSocket channel,
// alice calls bob, bob answers: audio both ways (getStats and the tone
// each one's fake microphone plays), hold and resume with the media
// direction after each, hang-up; alice calls a number answered by
// kandysim's endpoint (tones both ways, DTMF); a number calls bob; a busy
// number; alice's tokens expire and new ones keep her working.
// Usage: node sdk_call.mjs PORT NODE_MODULES_DIR CHROMIUM
// (with NODE_EXTRA_CA_CERTS naming the test CA, for the control API)
import { launchBrowser, loadModules, openUser } from './sdk_page.mjs';

const [port, modules, chromiumPath] = process.argv.slice(2);
const { chromium, sdkPath } = loadModules(modules);
const base = `https://127.0.0.1:${port}`;
const debug = !!process.env.KANDYSIM_SDK_DEBUG;
const ALICE_HZ = 440, BOB_HZ = 1300, SIM_HZ = 1000, SIM_IN_HZ = 800;
const NUMBER = '971509999999';
let failures = 0;

function check(cond, what) {
  console.log((cond ? 'ok   ' : 'FAIL ') + what);
  if (!cond) failures++;
  return cond;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function sim(method, path, body) {
  const r = await fetch(base + path, {
    method, headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return r.status === 204 ? null : r.json();
}

async function waitFn(page, fn, arg, what, timeout = 15000) {
  try {
    await page.waitForFunction(fn, arg, { timeout });
    return check(true, what);
  } catch (e) {
    return check(false, what);
  }
}

async function waitEvent(page, ev, what, timeout = 15000) {
  try {
    await page.waitForFunction((e) => window.events.includes(e), ev,
      { timeout });
    return check(true, what);
  } catch (e) {
    return check(false, what + ' (events: ' +
      (await page.evaluate(() => window.events.join(','))) + ')');
  }
}

function fmt(a) {
  return `${a.packetsGrew} packets in 2 s, level ${a.audioLevel}, ` +
    `energy +${(a.energyGrew || 0).toFixed(4)}, peak ${a.peakHz} Hz ` +
    `${a.peakDb.toFixed(1)} dB, ${a.direction}, ICE ${a.ice}`;
}

// Packets arrive (the SDK's getStats), with sound, and the tone is hz.
async function hears(page, idVar, hz, who) {
  const a = await page.evaluate((v) => window.kbAudio(window[v], 2000), idVar);
  check(a.sdkStats, `${who}: the SDK's getStats answers`);
  check(a.packetsGrew >= 50 && (a.audioLevel > 0 || a.energyGrew > 0),
    `${who}: audio arrives (${fmt(a)})`);
  check(Math.abs(a.peakHz - hz) <= 12 && a.peakDb > -70,
    `${who}: hears ${hz} Hz`);
  return a;
}

async function stats(page, idVar) {
  return page.evaluate((v) => window.kbStats(window[v]), idVar);
}

// The last call kandysim has with a leg to number.
async function simCall(number) {
  const r = await sim('GET', '/_sim/calls');
  return r.calls.filter((c) => c.legs.some((l) =>
    (l.address || '').includes(number))).pop();
}

const browsers = [];
try {
  browsers.push(await launchBrowser(chromium, chromiumPath, ALICE_HZ));
  browsers.push(await launchBrowser(chromium, chromiumPath, BOB_HZ));
  const opts = { log: (s) => console.log('     ' + s), debug };
  let alice, bob;
  try {
    alice = await openUser(browsers[0], sdkPath, base, 'alice', 'alicepw',
      opts);
    check(true, 'alice logged in and subscribed');
    bob = await openUser(browsers[1], sdkPath, base, 'bob', 'bobpw', opts);
    check(true, 'bob logged in and subscribed');
  } catch (e) {
    check(false, 'login and subscribe: ' + e.message);
    throw e;
  }

  // User to user.
  await alice.evaluate(() => {
    window.callId = client.call.make('sip:bob@kandy.test',
      window.kbMedia);
  });
  if (await waitEvent(bob, 'receive', 'bob receives the call')) {
    await waitEvent(alice, 'state:Ringing', 'alice sees Ringing');
    // As a user would: answer once the SDK shows the call ringing.
    await waitEvent(bob, 'state:Ringing', 'bob: call Ringing');
    await bob.evaluate(() => client.call.answer(window.incoming,
      window.kbMedia));
    await waitEvent(bob, 'state:Connected', 'bob: call Connected');
    await waitEvent(alice, 'state:Connected', 'alice: call Connected');
    await waitFn(alice, () => kbPc() && kbPc().connectionState ===
      'connected', null, 'alice: ICE and DTLS connected to bob');
    await hears(alice, 'callId', BOB_HZ, 'alice');
    await hears(bob, 'incoming', ALICE_HZ, 'bob');

    // Hold and unhold: /update, wrtcsOfferNotification, /answer,
    // wrtcsAnswerNotification; the media direction follows.
    await alice.evaluate(() => client.call.hold(window.callId));
    await waitFn(alice, () => client.call.getById(window.callId).localHold,
      null, 'alice: call held');
    await waitFn(bob, () => client.call.getById(window.incoming).remoteHold,
      null, 'bob: call held by the other side');
    await waitFn(alice, () => /^(sendonly|inactive)$/.test(
      kbPc().getTransceivers()[0].currentDirection), null,
      'alice: held, she sends at most');
    await waitFn(bob, () => /^(recvonly|inactive)$/.test(
      kbPc().getTransceivers()[0].currentDirection), null,
      'bob: held, he receives at most');
    await sleep(500);
    const h1 = await stats(alice, 'callId');
    await sleep(1500);
    const h2 = await stats(alice, 'callId');
    check(h2.packetsReceived - h1.packetsReceived <= 2,
      `held: bob sends alice nothing (${h2.packetsReceived -
        h1.packetsReceived} packets in 1.5 s; alice ${h1.direction}, bob ` +
      `${(await stats(bob, 'incoming')).direction})`);
    await alice.evaluate(() => client.call.unhold(window.callId));
    await waitFn(alice, () => !client.call.getById(window.callId).localHold,
      null, 'alice: call resumed');
    await waitFn(bob, () => !client.call.getById(window.incoming).remoteHold,
      null, 'bob: call resumed by the other side');
    for (const [page, who] of [[alice, 'alice'], [bob, 'bob']])
      await waitFn(page, () => kbPc().getTransceivers()[0]
        .currentDirection === 'sendrecv', null, `${who}: sendrecv again`);
    await hears(alice, 'callId', BOB_HZ, 'alice, resumed');
    await hears(bob, 'incoming', ALICE_HZ, 'bob, resumed');
    await alice.evaluate(() => client.call.end(window.callId));
    await waitEvent(alice, 'state:Ended', 'alice: call Ended');
    await waitEvent(bob, 'state:Ended', 'bob: call Ended after alice hangs up');
  }

  // A phone number: kandysim's endpoint answers with a tone and listens
  // for alice's; alice sends digits.
  await sim('POST', '/_sim/rules', { match: NUMBER, action: 'answer',
    answer_after_ms: 200, media: `tone:${SIM_HZ},expect=${ALICE_HZ}` });
  await alice.evaluate((n) => {
    window.events = [];
    window.callId = client.call.make('tel:+' + n,
      window.kbMedia);
  }, NUMBER);
  if (await waitEvent(alice, 'state:Connected',
    'alice: call to a number Connected')) {
    await waitFn(alice, () => kbPc() && kbPc().connectionState ===
      'connected', null, 'alice: ICE and DTLS connected to kandysim');
    await hears(alice, 'callId', SIM_HZ, 'alice, from kandysim');
    await alice.evaluate(() => client.call.sendDTMF(window.callId, '159#',
      100, 70));
    let c;
    for (let i = 0; i < 50; i++) {
      c = await simCall(NUMBER);
      if (c && c.media.digits_received === '159#') break;
      await sleep(100);
    }
    check(c && c.media.matched === true,
      `kandysim hears alice's ${ALICE_HZ} Hz (${JSON.stringify(
        c && c.media.rx_tone)})`);
    check(c && c.media.digits_received === '159#',
      `kandysim gets the SDK's digits (${c && c.media.digits_received}, ` +
      `telephone-event ${c && c.media.telephone_event_pt})`);
    await alice.evaluate(() => client.call.end(window.callId));
    await waitEvent(alice, 'state:Ended', 'alice: call to a number Ended');
  }

  // An incoming call from a number (kandysim's offer) to bob.
  await bob.evaluate(() => { window.events = []; window.incoming = null; });
  const inc = await sim('POST', '/_sim/incoming', { from: '+971501234567',
    to: 'bob', media: `tone:${SIM_IN_HZ},expect=${BOB_HZ}` });
  check(inc.call_id > 0, 'incoming call placed on the control API');
  if (await waitEvent(bob, 'receive', 'bob receives the incoming call')) {
    await waitEvent(bob, 'state:Ringing', 'bob: incoming call Ringing');
    await bob.evaluate(() => client.call.answer(window.incoming,
      window.kbMedia));
    await waitEvent(bob, 'state:Connected', 'bob: incoming call Connected');
    await hears(bob, 'incoming', SIM_IN_HZ, 'bob, from kandysim');
    const st = await sim('GET', `/_sim/calls/${inc.call_id}`);
    check(st.state === 'connected', 'kandysim sees the call connected');
    check(st.media.matched === true, `kandysim hears bob's ${BOB_HZ} Hz ` +
      `(${JSON.stringify(st.media.rx_tone)})`);
    await sim('DELETE', `/_sim/calls/${inc.call_id}`);
    await waitEvent(bob, 'state:Ended', 'bob: ended when the number hangs up');
  }

  // A number that kandysim rejects as busy.
  await alice.evaluate(() => {
    window.events = [];
    window.callId = client.call.make('tel:+971500004860',
      window.kbMedia);
  });
  await waitEvent(alice, 'state:Ended', 'alice: call to a busy number Ended');
  let errors = await alice.evaluate(() =>
    window.events.filter((e) => e.startsWith('error:')));
  check(errors.length === 0, 'no SDK call errors ' + errors.join(','));

  // Token expiry.  Tokens of 3 s: once they expire the platform refuses
  // alice's requests and the SDK reports it; new tokens (setTokens) and
  // she goes on: her subscription and channel are still there, a call to
  // her arrives, a call from her connects.
  await sim('POST', '/_sim/config', { token_lifetime: 3 });
  const life = await alice.evaluate(() => window.kbTokens());
  check(life === 3, `alice's new tokens last ${life} s`);
  await sleep(4500);
  await alice.evaluate((n) => {
    window.events = [];
    window.callId = client.call.make('tel:+' + n,
      window.kbMedia);
  }, NUMBER);
  await waitEvent(alice, 'state:Ended',
    'alice: a call with expired tokens fails');
  errors = await alice.evaluate(() =>
    window.events.filter((e) => e.startsWith('error:')));
  check(errors.length > 0 && !(await alice.evaluate(() =>
    window.events.includes('state:Connected'))),
  'the SDK reports the refusal: ' + errors.join(' | '));
  await sim('POST', '/_sim/config', { token_lifetime: 3600 });
  await alice.evaluate(() => window.kbTokens());
  check(await alice.evaluate(() => client.services.getSubscriptions()
    .subscribed.includes('call')), 'alice: still subscribed to calls');
  await alice.evaluate(() => { window.events = []; window.incoming = null; });
  await bob.evaluate(() => {
    window.events = [];
    window.callId = client.call.make('sip:alice@kandy.test',
      window.kbMedia);
  });
  if (await waitEvent(alice, 'receive',
    'alice, new tokens: a call reaches her over her channel')) {
    await waitEvent(alice, 'state:Ringing', 'alice: call Ringing');
    await alice.evaluate(() => client.call.answer(window.incoming,
      window.kbMedia));
    await waitEvent(alice, 'state:Connected', 'alice: she answers it');
    await waitEvent(bob, 'state:Connected', 'bob: alice answered');
    await hears(alice, 'incoming', BOB_HZ, 'alice, new tokens');
    await alice.evaluate(() => client.call.end(window.incoming));
    await waitEvent(bob, 'state:Ended', 'bob: alice hung up');
  }
  await alice.evaluate((n) => {
    window.events = [];
    window.callId = client.call.make('tel:+' + n,
      window.kbMedia);
  }, NUMBER);
  if (await waitEvent(alice, 'state:Connected',
    'alice, new tokens: her call to a number connects')) {
    await hears(alice, 'callId', SIM_HZ, 'alice, new tokens, from kandysim');
    await alice.evaluate(() => client.call.end(window.callId));
    await waitEvent(alice, 'state:Ended', 'alice: call Ended');
  }

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
  for (const b of browsers)
    await b.close();
}
process.exit(failures ? 1 : 0);
