// Real media between headless Chromium and kandysim's endpoint, without
// the SDK: a page on kandysim's origin makes an RTCPeerConnection whose
// audio track is a WebAudio oscillator, calls an echo number through the
// cpaas API, sends two digits, and measures the tone that comes back.
// Prints one JSON line.  Usage: node browser_media.mjs PORT MODULES CHROMIUM HZ
import { createRequire } from 'module';

const [port, modules, chromiumPath, hzArg] = process.argv.slice(2);
const require = createRequire(modules + '/');
const { chromium } = require('playwright-core');
const base = `https://127.0.0.1:${port}`;

const browser = await chromium.launch({
  executablePath: chromiumPath,
  // Host candidates as addresses, not mDNS names kandysim cannot resolve.
  args: ['--autoplay-policy=no-user-gesture-required', '--no-sandbox',
    '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-features=WebRtcHideLocalIpsWithMdns'],
});
let result;
try {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  page.on('console', (m) => console.error('[page] ' + m.text()));
  await page.goto(`${base}/_sim/blank.html`);
  result = await page.evaluate(async (hz) => {
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    let r = await fetch('/cpaas/auth/v1/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'client_id=b&username=alice&password=alicepw&grant_type=password',
    });
    const token = (await r.json()).access_token;
    const auth = { Authorization: 'Bearer ' + token,
      'Content-Type': 'application/json' };

    const ac = new AudioContext({ sampleRate: 48000 });
    await ac.resume();
    const osc = ac.createOscillator();
    osc.frequency.value = hz;
    const gain = ac.createGain();
    gain.gain.value = 0.3;
    const dest = ac.createMediaStreamDestination();
    osc.connect(gain).connect(dest);
    osc.start();

    const pc = new RTCPeerConnection({ iceServers: [] });
    const sender = pc.addTrack(dest.stream.getAudioTracks()[0], dest.stream);
    const remote = new Promise((res) => { pc.ontrack = (e) => res(e.streams[0] || new MediaStream([e.track])); });
    await pc.setLocalDescription(await pc.createOffer());
    while (pc.iceGatheringState !== 'complete') await sleep(50);
    r = await fetch('/cpaas/webrtcsignaling/v1/alice/sessions', {
      method: 'POST', headers: auth,
      body: JSON.stringify({ wrtcsSession: {
        tParticipantAddress: 'tel:+9715000009',
        offer: { sdp: pc.localDescription.sdp } } }),
    });
    const url = (await r.json()).wrtcsSession.resourceURL;
    let answer = null;
    for (let i = 0; i < 100 && !answer; i++) {
      const s = await (await fetch(url, { headers: auth })).json();
      answer = s.wrtcsSession.answer && s.wrtcsSession.answer.sdp;
      if (!answer) await sleep(50);
    }
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    for (let i = 0; i < 100 && pc.connectionState !== 'connected'; i++)
      await sleep(50);
    const connected = pc.connectionState;

    // Chromium only feeds WebAudio from a remote track that plays somewhere.
    const stream = await remote;
    const el = new Audio();
    el.srcObject = stream;
    el.muted = true;
    el.play().catch(() => {});
    const an = ac.createAnalyser();
    an.fftSize = 8192;
    ac.createMediaStreamSource(stream).connect(an);
    await sleep(1500);
    if (sender.dtmf && sender.dtmf.canInsertDTMF)
      sender.dtmf.insertDTMF('19', 100, 70);
    await sleep(1500);
    const bins = new Float32Array(an.frequencyBinCount);
    an.getFloatFrequencyData(bins);
    let best = 0;
    for (let i = 1; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
    const heardHz = best * ac.sampleRate / an.fftSize;
    const stats = {};
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        stats.packetsReceived = s.packetsReceived;
        stats.packetsLost = s.packetsLost;
      }
      if (s.type === 'outbound-rtp' && s.kind === 'audio')
        stats.packetsSent = s.packetsSent;
      if (s.type === 'codec' && s.mimeType) stats.codec = stats.codec || s.mimeType;
    });
    await fetch(url, { method: 'DELETE', headers: auth });
    pc.close();
    return { connected, heardHz, peakDb: bins[best], ...stats, url };
  }, Number(hzArg));
} catch (e) {
  result = { error: String(e) };
}
await browser.close();
console.log(JSON.stringify(result));
