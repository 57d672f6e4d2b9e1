// The official Kandy SDK in a headless Chromium page, for the SDK tests
// (sdk_call.mjs) and the end-to-end tests (sdk_agent.mjs).  Each user gets
// a Chromium of its own whose fake microphone plays a WAV file of a known
// tone; page helpers measure what the call receives: the SDK's
// getStats (inbound-rtp packets, audio level and energy) and the strongest
// tone in the remote track (WebAudio analyser).
import { createRequire } from 'module';
import fs from 'fs';
import os from 'os';
import path from 'path';

export function loadModules(modules) {
  const require = createRequire(modules + '/');
  return {
    chromium: require('playwright-core').chromium,
    sdkPath: require.resolve('@kandy-io/cpaas-sdk/dist/kandy.js'),
  };
}

// 2 s of a sine at hz (a whole number of cycles, so the loop is seamless),
// 48 kHz mono s16le, amplitude 0.3.
export function writeToneWav(file, hz) {
  const rate = 48000, n = rate * 2;
  const buf = Buffer.alloc(44 + n * 2);
  buf.write('RIFF', 0); buf.writeUInt32LE(36 + n * 2, 4);
  buf.write('WAVE', 8); buf.write('fmt ', 12);
  buf.writeUInt32LE(16, 16); buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(1, 22); buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28); buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34); buf.write('data', 36);
  buf.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++)
    buf.writeInt16LE(Math.round(0.3 * 32767 *
      Math.sin(2 * Math.PI * hz * i / rate)), 44 + 2 * i);
  fs.writeFileSync(file, buf);
}

// A Chromium whose microphone plays hz.
export async function launchBrowser(chromium, chromiumPath, hz) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kandysim-sdk-'));
  const wav = path.join(dir, `tone-${hz}.wav`);
  writeToneWav(wav, hz);
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--ignore-certificate-errors',
      '--autoplay-policy=no-user-gesture-required',
      // Host candidates as addresses: kandysim resolves no mDNS names.
      '--disable-features=WebRtcHideLocalIpsWithMdns',
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-audio-capture=${wav}`],
  });
}

// Runs in the page before any of its scripts: keeps the peer connections
// the SDK makes (it calls the global RTCPeerConnection), relay candidates
// only when window.kbRelayOnly says so, and defines the measuring helpers.
function pageInit() {
  const Native = window.RTCPeerConnection;
  window.kbPcs = [];
  window.RTCPeerConnection = class extends Native {
    constructor(config, ...rest) {
      super(window.kbRelayOnly ? { ...config, iceTransportPolicy: 'relay' }
        : config, ...rest);
      window.kbPcs.push(this);
    }
  };
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  window.kbSleep = sleep;
  window.kbPc = () => window.kbPcs.filter((p) =>
    p.connectionState !== 'closed').pop();

  // The SDK's getStats for a call, summarised; the direction and ICE state
  // from its peer connection.
  window.kbStats = async (callId) => {
    const report = await new Promise((resolve) => {
      const t = setTimeout(() => resolve(null), 5000);
      const h = (p) => {
        if (p.callId !== callId || p.trackId) return;
        clearTimeout(t);
        window.client.off('call:statsReceived', h);
        resolve(p.error ? null : p.result);
      };
      window.client.on('call:statsReceived', h);
      window.client.call.getStats(callId);
    });
    const r = { sdkStats: !!report };
    const pc = window.kbPc();
    const rep = report || (pc ? await pc.getStats() : new Map());
    rep.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        r.packetsReceived = s.packetsReceived;
        r.packetsLost = s.packetsLost;
        r.audioLevel = s.audioLevel;
        r.totalAudioEnergy = s.totalAudioEnergy;
      }
      if (s.type === 'outbound-rtp' && s.kind === 'audio')
        r.packetsSent = s.packetsSent;
    });
    if (pc) {
      r.ice = pc.iceConnectionState;
      r.direction = pc.getTransceivers().filter((t) => !t.stopped &&
        t.receiver.track && t.receiver.track.kind === 'audio')
        .map((t) => t.currentDirection).join(',');
    }
    return r;
  };

  // The strongest tone (150-3800 Hz) in the call's remote audio over ms.
  window.kbListen = async (ms) => {
    const pc = window.kbPc();
    const track = pc && pc.getReceivers().map((x) => x.track).find((t) =>
      t && t.kind === 'audio' && t.readyState === 'live');
    if (!track)
      return { peakHz: 0, peakDb: -200, error: 'no remote audio track' };
    const ac = window.kbAc || (window.kbAc = new AudioContext({
      sampleRate: 48000 }));
    await ac.resume();
    const stream = new MediaStream([track]);
    // Chromium feeds WebAudio only from a remote track that plays.
    const el = new Audio();
    el.srcObject = stream;
    el.play().catch(() => {});
    const src = ac.createMediaStreamSource(stream);
    const an = ac.createAnalyser();
    an.fftSize = 8192;
    src.connect(an);
    await sleep(ms);
    const bins = new Float32Array(an.frequencyBinCount);
    an.getFloatFrequencyData(bins);
    src.disconnect();
    el.srcObject = null;
    const hzPerBin = ac.sampleRate / an.fftSize;
    let best = Math.ceil(150 / hzPerBin);
    for (let i = best; i < 3800 / hzPerBin; i++)
      if (bins[i] > bins[best]) best = i;
    return { peakHz: Math.round(best * hzPerBin), peakDb: bins[best] };
  };

  // The candidate types of the selected pair: {local, remote}.
  window.kbPair = async () => {
    const pc = window.kbPc();
    const st = pc ? await pc.getStats() : new Map();
    let pair = null;
    st.forEach((s) => {
      if (s.type === 'transport' && s.selectedCandidatePairId)
        pair = st.get(s.selectedCandidatePairId);
    });
    return pair && {
      local: (st.get(pair.localCandidateId) || {}).candidateType,
      remote: (st.get(pair.remoteCandidateId) || {}).candidateType,
    };
  };

  // Packets arrive, with an audio level, and the tone is hz.
  window.kbAudio = async (callId, ms) => {
    const a = await window.kbStats(callId);
    const tone = await window.kbListen(ms);
    const b = await window.kbStats(callId);
    return { ...b, ...tone,
      packetsGrew: (b.packetsReceived || 0) - (a.packetsReceived || 0),
      energyGrew: (b.totalAudioEnergy || 0) - (a.totalAudioEnergy || 0) };
  };
}

// A page on kandysim's origin with the SDK loaded: a secure context, no
// CORS, and loopback to loopback for Chromium's local network access
// checks.  The user logs in (password grant), sets the tokens and
// subscribes to calls over the WebSocket channel.  iceServers go to the
// SDK, which fetches their credentials from Kandy's /turn; relayOnly
// keeps Chromium to relay candidates.
export async function openUser(browser, sdkPath, base, user, pass,
  { log = () => {}, debug = false, iceServers = [], relayOnly = false } =
  {}) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (debug || m.type() === 'error') log(`[${user} console] ${m.text()}`);
  });
  await page.addInitScript(pageInit);
  await page.goto(`${base}/_sim/blank.html`);
  await page.addScriptTag({ path: sdkPath });
  await page.evaluate(async ({ user, pass, port, debug, iceServers,
    relayOnly }) => {
    window.kbRelayOnly = relayOnly;
    // The media of every call: the microphone's tone as it is, without
    // echo cancellation, noise suppression or gain control.
    window.kbMedia = { audio: true, video: false, audioOptions: {
      echoCancellation: false, noiseSuppression: false,
      autoGainControl: false } };
    window.user = user;
    window.pass = pass;
    window.events = [];
    window.kbTokens = async () => {
      const r = await fetch('/cpaas/auth/v1/token', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `client_id=sdk&username=${user}&password=${pass}` +
          '&grant_type=password&scope=openid',
      });
      const t = await r.json();
      window.client.setTokens({ accessToken: t.access_token,
        idToken: t.id_token });
      return t.expires_in;
    };
    const div = document.createElement('div');
    div.id = 'remote';
    document.body.appendChild(div);
    const client = Kandy.create({
      authentication: {
        server: { base: '127.0.0.1', port, protocol: 'https' },
        clientCorrelator: 'corr-' + user,
      },
      call: { sdpSemantics: 'unified-plan', iceServers },
      logs: { logLevel: debug ? 'debug' : 'warn' },
    });
    window.client = client;
    client.on('call:receive', (p) => {
      window.events.push('receive');
      window.incoming = p.callId;
    });
    const err = (what, p) => p && p.error && window.events.push('error:' +
      what + ':' + p.error.code + ' ' + p.error.message);
    client.on('call:stateChange', (p) => {
      const c = client.call.getById(p.callId);
      window.events.push('state:' + (c ? c.state : '?'));
      err('stateChange', p);
    });
    client.on('call:start', (p) => err('start', p));
    client.on('call:operation', (p) => err('operation ' + p.operation, p));
    // As an application does: play what the call receives.
    client.on('call:newTrack', (p) => {
      if (!p.local) client.media.renderTracks([p.trackId], '#remote');
    });
    client.on('auth:error', (p) => err('auth', p));
    client.on('subscription:error', (p) => err('subscription', p));
    client.on('ws:change', () => window.events.push('ws:change'));
    await window.kbTokens();
    await new Promise((resolve, reject) => {
      client.on('subscription:change', () => {
        const s = client.services.getSubscriptions();
        if (!s.isPending && s.subscribed.length > 0) resolve();
      });
      client.on('subscription:error', (p) => reject(new Error(p.error.message)));
      client.services.subscribe(['call'], 'websocket');
      setTimeout(() => reject(new Error('subscribe timeout')), 20000);
    });
  }, { user, pass, port: Number(new URL(base).port), debug, iceServers,
    relayOnly });
  return page;
}
