// Runs bench/micropython/probe.py on the vendored MicroPython under Node (no browser): the
// wasm port is the same interpreter PyScript's `mpy` loads, so this is the CI-like check.
//
//   node bench/micropython/node_run.mjs          # prints the probe's JSON report
//
// The app's modules and the probe are copied into MicroPython's in-memory file system.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..", "..");
const manifest = JSON.parse(fs.readFileSync(path.join(root, "static/vendor/MANIFEST.json"), "utf8"));
const module = Object.keys(manifest.files).find((f) => /^micropython-[^/]+\/micropython\.mjs$/.test(f));
const { loadMicroPython } = await import(pathToFileURL(path.join(root, "static/vendor", module)).href);

const out = [];
const mp = await loadMicroPython({ stdout: (line) => out.push(line), stderr: (line) => console.error(line) });
for (const name of fs.readdirSync(path.join(root, "app"), { recursive: true })) {
  if (!name.endsWith(".py") || name.includes("__pycache__")) continue;
  mp.FS.mkdirTree(path.posix.dirname("/probe/app/" + name));
  mp.FS.writeFile("/probe/app/" + name, fs.readFileSync(path.join(root, "app", name)));
}
mp.FS.writeFile("/probe/mpy_probe.py", fs.readFileSync(path.join(here, "probe.py")));
mp.runPython("import sys, json\nsys.path.insert(0, '/probe')\nimport mpy_probe\nprint(json.dumps(mpy_probe.run()))");
process.stdout.write(out.join("\n") + "\n");
