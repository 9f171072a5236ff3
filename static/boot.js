// Boot progress and failure reporting for the page shell, before Python is up.
// Python marks the page ready by setting <html data-app-ready> and hiding #boot.
const $ = (id) => document.getElementById(id);

// PyScript loads its plugin chunks (editor, terminal, game, donkey, ...) once per interpreter
// type, each type by its own config; pyscript.toml turns them off for `py`, but the `mpy` side
// has no config on this page (it runs no MicroPython), so PyScript would load all of them.
// PyScript's documented <mpy-config> element gives it one (inline JSON: no extra request).
// This module runs before core.js (module scripts run in document order), so PyScript sees it;
// it is added here because the parser would end <head> at an unknown element.
// (error: PyScript still imports its 0.7 KB error chunk, to switch the on-page errors off.)
const mpyConfig = document.createElement("mpy-config");
mpyConfig.textContent = JSON.stringify({
  plugins: ["!error", "!py-editor", "!py-terminal", "!py-game", "!donkey",
    "!deprecations-manager", "!codemirror"],
});
document.head.append(mpyConfig);
// Start the runtime's files at once instead of at the end of PyScript's chain of imports
// (core -> config -> toml parser -> pyodide.mjs -> wasm, stdlib); see docs/hosting.md.
// The big ones are added after the shell's first paint, so that the paint does not wait
// behind the runtime. pyscript.toml (1 KB) is added right away: PyScript fetches it as soon
// as its core chunk has run, which can be before that first frame, and a preload added after
// the fetch started is a second request.
// Not preloaded: the pyodide-http wheel, which the page loads only when a user opts into it.
const EARLY_PRELOADS = [
  ["preload", "pyscript.toml"],
];
const PRELOADS = [
  ["modulepreload", "static/vendor/pyscript-0.7.31/core-C9KDLldu.js"],
  ["modulepreload", "static/vendor/pyscript-0.7.31/toml-V4Savzlc.js"],
  ["modulepreload", "static/vendor/pyscript-0.7.31/error-D2315lOB.js"],
  ["modulepreload", "static/vendor/pyodide-314.0.2/pyodide.mjs"],
  ["modulepreload", "static/vendor/pyodide-314.0.2/pyodide.asm.mjs"],
  ["preload", "static/vendor/pyodide-314.0.2/pyodide.asm.wasm"],
  ["preload", "static/vendor/pyodide-314.0.2/python_stdlib.zip"],
  ["preload", "static/vendor/pyodide-314.0.2/pyodide-lock.json"],
  ["preload", "static/app.zip"],
  ["preload", "app/main.py"],
];
// The rest of the standard library and of the app, which Python mounts before it builds the
// page (app/boot/later.py): hinted once the wasm and the first zip are in, so that they do not
// share the link with them, and so that they download while Python starts.
const LATER_PRELOADS = [
  ["preload", "static/vendor/pyodide-314.0.2/python_stdlib_later.zip"],
  ["preload", "static/app_later.zip"],
];
const BEFORE_LATER = /\/(pyodide\.asm\.wasm|python_stdlib\.zip)$/;
// Python fetches it again, with retries, and reports a failure itself ("app:boot-failed").
const PYTHON_RETRIES = /\/(python_stdlib_later|app_later)\.zip$/;

function addHints(hints) {
  const links = [];
  for (const [rel, href] of hints) {
    const link = document.createElement("link");
    link.rel = rel;
    link.href = href;
    if (rel === "preload") {
      link.as = "fetch";
      link.crossOrigin = "anonymous";
    }
    document.head.append(link);
    links.push(link);
  }
  return links;
}

function addRuntimeHints() {
  const first = addHints(PRELOADS).filter((link) => BEFORE_LATER.test(link.href));
  Promise.all(first.map((link) => new Promise((resolve) => {
    link.addEventListener("load", resolve, { once: true });
    link.addEventListener("error", resolve, { once: true });
  }))).then(() => addHints(LATER_PRELOADS));
}

// --- Popup sign-in: hand the answer to the window that opened this one ---------------
// A sign-in started in a popup comes back to the same redirect URI as a full-page sign-in,
// so this page has to tell the two apart before any Python loads (a popup must load none).
// Its state carries a marker, "popup." (not in the base64url alphabet of the random part),
// so no storage is needed for this. The popup offers the callback URL to the opener by
// postMessage, targeted at this page's own origin; when window.opener is gone (a COOP header
// on the sign-in page severs it) it asks on a BroadcastChannel whether a window holds this
// state (only a hash of it is sent); the window that proves it holds the state gets the URL,
// sealed under a key derived from the state (every window of the origin hears the channel).
// Then it closes. When nobody claims it, the page goes on as a normal redirect callback.
// The opener accepts only its own origin and its own state (app/browser/popup.py).
const POPUP_STATE_PREFIX = "popup.";
const POPUP_MESSAGE = "ilert-pkce:popup-callback";
const POPUP_CLAIMED = "ilert-pkce:popup-claimed";
const POPUP_CHANNEL = "ilert-pkce:popup";
const CLAIM_WAIT_MS = 1500;

const query = new URLSearchParams(location.search);
const answerState = query.get("state") || "";
const popupAnswer = answerState.startsWith(POPUP_STATE_PREFIX) &&
  (query.has("code") || query.has("error"));
// The Python entry point, held back while a popup's answer is being handed over.
let heldScript = null;

function holdPython() {
  heldScript = document.querySelector('script[type="py"]');
  if (heldScript) heldScript.remove();
}

function releasePython() {
  if (!heldScript) return;
  // A new element: PyScript picks up added <script type="py"> nodes (a changed type it would not).
  const script = document.createElement("script");
  for (const { name, value } of heldScript.attributes) script.setAttribute(name, value);
  heldScript = null;
  script.addEventListener("py:done", () => {
    setTimeout(() => ready() || fail("the app's Python code stopped with an error."), 0);
  }, { once: true });
  document.body.append(script);
}

function waitFor(target, accept, ms) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => { target.removeEventListener("message", on); resolve(null); }, ms);
    function on(event) {
      if (!accept(event)) return;
      clearTimeout(timer);
      target.removeEventListener("message", on);
      resolve(event);
    }
    target.addEventListener("message", on);
  });
}

const utf8 = (text) => new TextEncoder().encode(text);
const sha256 = async (text) => new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(text)));
const hex = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
const base64 = (bytes) => btoa(String.fromCharCode(...bytes));

// Proof that the other end holds this sign-in's state (app/core/popup_answer.py: proof()).
const proofOf = async (kind, id) => hex(await sha256(`ilert-pkce popup ${kind}\0${answerState}\0${id}`));

// The callback URL sealed with AES-GCM under a key derived from the state, which only this
// window and its opener hold (app/core/popup_answer.py: answer_key()): other listeners on the
// channel hear an opaque blob, never the code.
async function sealedUrl(id) {
  const raw = await sha256("ilert-pkce popup key\0" + answerState);
  const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: utf8(id) }, key, utf8(location.href));
  return { iv: base64(iv), sealed: base64(new Uint8Array(sealed)) };
}

async function offerToOpener() {
  let opener = null;
  try { opener = window.opener; } catch { opener = null; }
  if (!opener) return false;
  const claimed = waitFor(window, (e) => e.source === opener && e.origin === location.origin &&
    e.data && e.data.type === POPUP_CLAIMED, CLAIM_WAIT_MS);
  try {
    opener.postMessage({ type: POPUP_MESSAGE, url: location.href }, location.origin);
  } catch {
    return false;  // the opener is no longer this origin
  }
  return (await claimed) !== null;
}

async function offerOnChannel() {
  if (typeof BroadcastChannel !== "function" || !(crypto && crypto.subtle)) return false;
  const channel = new BroadcastChannel(POPUP_CHANNEL);
  try {
    const id = hex(crypto.getRandomValues(new Uint8Array(16)));
    const [claimProof, doneProof, stateHash, sealed] = await Promise.all([
      proofOf("claim", id), proofOf("done", id), sha256(answerState), sealedUrl(id)]);
    const answered = (type, proof) => (e) =>
      e.data && e.data.type === type && e.data.id === id && e.data.proof === proof;
    const claimed = waitFor(channel, answered("claim", claimProof), CLAIM_WAIT_MS);
    channel.postMessage({ type: "offer", id, state_hash: hex(stateHash) });
    if (!(await claimed)) return false;
    const done = waitFor(channel, answered("done", doneProof), CLAIM_WAIT_MS);
    channel.postMessage({ type: "callback", id, ...sealed });
    return (await done) !== null;
  } finally {
    channel.close();
  }
}

async function handOffPopupAnswer() {
  show("Finishing sign-in in the window that opened this one…");
  let handed = false;
  try {
    handed = (await offerToOpener()) || (await offerOnChannel());
  } catch {
    handed = false;
  }
  if (!handed) {
    // Nobody holds this sign-in (the opener was closed or reloaded): finish it here.
    addHints(EARLY_PRELOADS);
    addRuntimeHints();
    releasePython();
    return;
  }
  // The code and state leave the address bar, then the window closes itself.
  history.replaceState(null, "", location.pathname);
  document.documentElement.setAttribute("data-popup-done", "");
  show("Signed in: this window closes itself. You can close it.");
  const progress = $("boot-progress");
  if (progress) progress.hidden = true;
  window.close();
}


const started = performance.now();
let stage = "Loading the Python runtime (about 4 MB the first time)";

const ready = () => document.documentElement.hasAttribute("data-app-ready");

function show(text) {
  const el = $("boot-text");
  if (el && !ready()) el.textContent = text;
}

let failedFile = false;

// The first reason wins, except that a file that did not load explains more than its fallout.
function fail(reason, isFile = false) {
  if (ready() || (failedFile && !isFile)) return;
  failedFile ||= isFile;
  const box = $("boot-error");
  const boot = $("boot");
  if (!box) return;
  if (boot) boot.hidden = true;
  box.hidden = false;
  box.textContent =
    "The app could not start: " + reason +
    " Reload the page to try again. If it keeps failing, check that the folder is served " +
    "completely (static/vendor/ included) and that your browser supports WebAssembly.";
}

// Stages, from the runtime files as they arrive.
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (entry.name.endsWith("/pyodide.asm.wasm")) stage = "Starting Python";
    else if (entry.name.endsWith("/python_stdlib.zip")) stage = "Starting Python";
    else if (entry.name.endsWith("/static/app.zip")) stage = "Starting the app";
    // A runtime or app file answered with an error status: Pyodide would only warn and hang.
    if (entry.responseStatus >= 400 && entry.name.startsWith(location.origin) &&
        !PYTHON_RETRIES.test(entry.name)) {
      fail(`a file the app needs did not load (${new URL(entry.name).pathname}, status ${entry.responseStatus}).`, true);
    }
  }
}).observe({ type: "resource", buffered: true });

const timer = setInterval(() => {
  if (ready()) return clearInterval(timer);
  if (heldScript || document.documentElement.hasAttribute("data-popup-done")) return;
  const seconds = Math.round((performance.now() - started) / 1000);
  show(seconds >= 45
    ? `${stage}… still working after ${seconds} s; a slow connection can take a minute.`
    : `${stage}… ${seconds} s`);
}, 1000);

// A runtime file that fails to load (404, offline) or a boot promise that rejects.
addEventListener("error", (event) => {
  const target = event.target;
  if (event instanceof ErrorEvent) {
    fail(`${event.message || "the Python runtime stopped with an error"}.`);
  } else if (target && (target.src || target.href) && !PYTHON_RETRIES.test(target.href || "")) {
    fail(`a file of the runtime did not load (${target.src || target.href}).`, true);
  }
}, true);
addEventListener("unhandledrejection", (event) => {
  const reason = event.reason && (event.reason.message || String(event.reason));
  fail(`${reason || "the Python runtime failed to load"}.`);
});
// Python could not fetch a part of the runtime it loads itself (app/boot/later.py).
addEventListener("app:boot-failed", (event) => fail(String(event.detail), true));
// PyScript has run every script; if Python never marked the page ready, something failed.
addEventListener("py:all-done", () => {
  if (popupAnswer) return;  // Python held back or started later (releasePython watches it)
  setTimeout(() => ready() || fail("the app's Python code stopped with an error."), 0);
});

// Last: everything above is defined (show() and ready() are used at once).
if (popupAnswer) {
  holdPython();
  handOffPopupAnswer();
} else {
  addHints(EARLY_PRELOADS);
  requestAnimationFrame(() => setTimeout(addRuntimeHints, 0));
}
