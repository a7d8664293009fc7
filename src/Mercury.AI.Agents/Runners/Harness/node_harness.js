// Mercury.AI test harness for JavaScript (node): loads the solution as a script, runs each test file, prints one result line.
// argv: solution.js test_file...   stdin: the run's secret (read to EOF before the solution is loaded)
// Tests use test(name, fn) / it(name, fn), node's assert, or top-level asserts. The solution's declarations are
// globals; require('./solution') also works.
//
// The solution runs in this process, so what decides the verdict is kept out of its reach: the secret is a closure
// variable; test, it, describe and assert are read-only globals, node's assert module and Promise are frozen; results
// and pending tests live in null-prototype objects (no inherited setter or patched push can drop them) and the line is
// built with JSON.stringify and fs.writeSync captured before the solution loads; the inspector (which could read
// closures) is switched off.
'use strict';
const vm = require('vm'), fs = require('fs'), path = require('path'), nodeAssert = require('assert');
const [solutionPath, ...testPaths] = process.argv.slice(2);
const secret = fs.readFileSync(0, 'utf8').trim();
const stringify = JSON.stringify, writeSync = fs.writeSync, runInThisContext = vm.runInThisContext, readFileSync = fs.readFileSync;
const apply = Reflect.apply, toString = String, slice = String.prototype.slice;
let json = '', count = 0;
const record = (name, passed, message = '') => {
  json += (count++ ? ',' : '') + stringify({ __proto__: null, name: toString(name), passed: passed === true, message: apply(slice, toString(message), [-3000]) });
};
const describe = (e) => (e && e.stack) ? String(e.stack).split('\n').filter(l => !l.includes('node_harness.js') && !l.includes('node:')).join('\n') : String(e);

const solutionModule = { exports: {} };
let pending = { __proto__: null }, pendingCount = 0;
const readOnly = (name, value) => Object.defineProperty(globalThis, name, { value, writable: false, configurable: false, enumerable: false });
for (const frozen of [nodeAssert, nodeAssert.strict, Promise, Promise.prototype]) Object.freeze(frozen);
try {
  Object.defineProperty(require('inspector'), 'Session', { value: function Session() { throw new Error('the inspector is disabled in the test sandbox'); }, writable: false, configurable: false });
} catch { /* no inspector in this build */ }
readOnly('assert', nodeAssert);
readOnly('test', (name, fn) => { pending[pendingCount++] = { __proto__: null, name, fn }; });
readOnly('it', globalThis.test);
readOnly('describe', (_name, fn) => fn());
globalThis.module = solutionModule;
globalThis.exports = solutionModule.exports;
globalThis.require = (id) => /^\.\/solution(\.js)?$/.test(id)
  ? (Object.keys(solutionModule.exports).length ? solutionModule.exports : globalThis)
  : require(id);

let finished = false;
function finish() {
  if (finished) return;
  finished = true;
  writeSync(1, '\n@@MERCURY-RESULT-' + secret + '@@[' + json + ']\n');
}
process.on('uncaughtException', (e) => { record('uncaught exception', false, describe(e)); finish(); process.exit(1); });
process.on('unhandledRejection', (e) => { record('unhandled rejection', false, describe(e)); finish(); process.exit(1); });

(async () => {
  try {
    runInThisContext(readFileSync(solutionPath, 'utf8'), { filename: 'solution.js' });
  } catch (e) {
    record('load solution', false, describe(e));
    return finish();
  }
  for (const [k, v] of Object.entries(solutionModule.exports || {})) if (!(k in globalThis)) globalThis[k] = v;
  for (const testPath of testPaths) {
    const base = path.basename(testPath);
    pending = { __proto__: null };
    pendingCount = 0;
    try {
      runInThisContext(readFileSync(testPath, 'utf8'), { filename: base });
    } catch (e) {
      record(base, false, describe(e));
      continue;
    }
    if (pendingCount === 0) record(base, true);
    for (let i = 0, n = pendingCount; i < n; i++) {
      const t = pending[i];
      try { await t.fn(); record(t.name, true); } catch (e) { record(t.name, false, describe(e)); }
    }
  }
  finish();
})();
