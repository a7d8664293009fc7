// Mercury.AI test harness for JavaScript (node): loads the solution as a script, runs each test file, prints one result line.
// argv: marker solution.js test_file...
// Tests use test(name, fn) / it(name, fn), node's assert, or top-level asserts. The solution's declarations are
// globals; require('./solution') also works.
'use strict';
const vm = require('vm'), fs = require('fs'), path = require('path'), nodeAssert = require('assert');
const [marker, solutionPath, ...testPaths] = process.argv.slice(2);
const results = [];
const record = (name, passed, message = '') => results.push({ name, passed, message: String(message).slice(-3000) });
const describe = (e) => (e && e.stack) ? String(e.stack).split('\n').filter(l => !l.includes('node_harness.js') && !l.includes('node:')).join('\n') : String(e);

const solutionModule = { exports: {} };
let pending = [];
globalThis.assert = nodeAssert;
globalThis.module = solutionModule;
globalThis.exports = solutionModule.exports;
globalThis.test = globalThis.it = (name, fn) => pending.push({ name, fn });
globalThis.describe = (_name, fn) => fn();
globalThis.require = (id) => /^\.\/solution(\.js)?$/.test(id)
  ? (Object.keys(solutionModule.exports).length ? solutionModule.exports : globalThis)
  : require(id);

let finished = false;
function finish() {
  if (finished) return;
  finished = true;
  process.stdout.write('\n' + marker + JSON.stringify(results) + '\n');
}
process.on('uncaughtException', (e) => { record('uncaught exception', false, describe(e)); finish(); process.exit(1); });
process.on('unhandledRejection', (e) => { record('unhandled rejection', false, describe(e)); finish(); process.exit(1); });

(async () => {
  try {
    vm.runInThisContext(fs.readFileSync(solutionPath, 'utf8'), { filename: 'solution.js' });
  } catch (e) {
    record('load solution', false, describe(e));
    return finish();
  }
  for (const [k, v] of Object.entries(solutionModule.exports || {})) if (!(k in globalThis)) globalThis[k] = v;
  for (const testPath of testPaths) {
    const base = path.basename(testPath);
    pending = [];
    try {
      vm.runInThisContext(fs.readFileSync(testPath, 'utf8'), { filename: base });
    } catch (e) {
      record(base, false, describe(e));
      continue;
    }
    if (pending.length === 0) record(base, true);
    for (const t of pending) {
      try { await t.fn(); record(t.name, true); } catch (e) { record(t.name, false, describe(e)); }
    }
  }
  finish();
})();
