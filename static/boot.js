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
// Added after the shell's first paint, so that the paint does not wait behind 13 MB.
const PRELOADS = [
  ["modulepreload", "static/vendor/pyscript-0.7.31/core-C9KDLldu.js"],
  ["modulepreload", "static/vendor/pyscript-0.7.31/toml-V4Savzlc.js"],
  ["modulepreload", "static/vendor/pyscript-0.7.31/error-D2315lOB.js"],
  ["preload", "pyscript.toml"],
  ["modulepreload", "static/vendor/pyodide-314.0.2/pyodide.mjs"],
  ["modulepreload", "static/vendor/pyodide-314.0.2/pyodide.asm.mjs"],
  ["preload", "static/vendor/pyodide-314.0.2/pyodide.asm.wasm"],
  ["preload", "static/vendor/pyodide-314.0.2/python_stdlib.zip"],
  ["preload", "static/vendor/pyodide-314.0.2/pyodide-lock.json"],
  ["preload", "static/app.zip"],
  ["preload", "app/main.py"],
];
requestAnimationFrame(() => setTimeout(() => {
  for (const [rel, href] of PRELOADS) {
    const link = document.createElement("link");
    link.rel = rel;
    link.href = href;
    if (rel === "preload") {
      link.as = "fetch";
      link.crossOrigin = "anonymous";
    }
    document.head.append(link);
  }
}, 0));

const started = performance.now();
let stage = "Loading the Python runtime (about 13 MB the first time)";

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
    if (entry.responseStatus >= 400 && entry.name.startsWith(location.origin)) {
      fail(`a file the app needs did not load (${new URL(entry.name).pathname}, status ${entry.responseStatus}).`, true);
    }
  }
}).observe({ type: "resource", buffered: true });

const timer = setInterval(() => {
  if (ready()) return clearInterval(timer);
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
  } else if (target && (target.src || target.href)) {
    fail(`a file of the runtime did not load (${target.src || target.href}).`, true);
  }
}, true);
addEventListener("unhandledrejection", (event) => {
  const reason = event.reason && (event.reason.message || String(event.reason));
  fail(`${reason || "the Python runtime failed to load"}.`);
});
// PyScript has run every script; if Python never marked the page ready, something failed.
addEventListener("py:all-done", () => {
  setTimeout(() => ready() || fail("the app's Python code stopped with an error."), 0);
});
