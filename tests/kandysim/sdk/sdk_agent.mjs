// One Kandy SDK user in headless Chromium, driven by a test over stdin and
// stdout, one JSON object a line (test_sdk.py's SdkUser):
//   → {"id":1,"eval":"<JS expression, may be a promise>"}
//   → {"id":2,"wait":"<JS expression>","timeout":15000}
//   ← {"id":1,"result":…}  or  {"id":2,"error":"…"}
// The page has the SDK's `client` and sdk_page.mjs's helpers (kbAudio,
// kbStats, kbMedia, events, incoming).  Prints {"ready":true} once the user
// is logged in and subscribed, {"ready":false,"error"} if not.
// Usage: node sdk_agent.mjs PORT NODE_MODULES_DIR CHROMIUM USER PASSWORD HZ
//        [OPTIONS]   (JSON: {"iceServers":[{"urls":…}],"relayOnly":true})
import readline from 'readline';
import { launchBrowser, loadModules, openUser } from './sdk_page.mjs';

const [port, modules, chromiumPath, user, pass, hz, options] =
  process.argv.slice(2);
const { chromium, sdkPath } = loadModules(modules);
const base = `https://127.0.0.1:${port}`;
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

let browser, page;
try {
  browser = await launchBrowser(chromium, chromiumPath, Number(hz));
  page = await openUser(browser, sdkPath, base, user, pass, {
    log: (s) => process.stderr.write(s + '\n'),
    debug: !!process.env.KANDYSIM_SDK_DEBUG,
    ...JSON.parse(options || '{}') });
  out({ ready: true });
} catch (e) {
  out({ ready: false, error: String(e) });
  if (browser)
    await browser.close();
  process.exit(1);
}

const rl = readline.createInterface({ input: process.stdin });
for await (const line of rl) {
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch (e) {
    out({ error: 'bad command' });
    continue;
  }
  try {
    if (cmd.eval !== undefined)
      out({ id: cmd.id, result: await page.evaluate(cmd.eval) });
    else if (cmd.wait !== undefined) {
      await page.waitForFunction(cmd.wait, null,
        { timeout: cmd.timeout || 15000 });
      out({ id: cmd.id, result: true });
    } else
      out({ id: cmd.id, error: 'unknown command' });
  } catch (e) {
    out({ id: cmd.id, error: String(e).split('\n')[0] });
  }
}
await browser.close();
