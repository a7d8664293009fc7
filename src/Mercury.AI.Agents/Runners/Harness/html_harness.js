// Mercury.AI test harness for HTML pages, injected into the page by the Playwright runner.
// Tests call test(name, async fn) and use assert, assertEqual, sleep, click (a real Playwright mouse click),
// text(selector), style(selector, property), all(selector).
window.__mercuryRunTests = async (source) => {
  const tests = [];
  const results = [];
  const test = (name, fn) => tests.push({ name, fn });
  const assert = (condition, message) => { if (!condition) throw new Error('Assertion failed: ' + (message || 'condition is false')); };
  const assertEqual = (actual, expected, message) => {
    if (actual !== expected) throw new Error(`Assertion failed: ${message || ''} expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  };
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const click = (selector) => window.__mercuryClick(selector);
  const $ = (selector) => { const el = document.querySelector(selector); if (!el) throw new Error('No element matches ' + selector); return el; };
  const text = (selector) => $(selector).textContent;
  const style = (selector, property) => getComputedStyle($(selector)).getPropertyValue(property);
  const all = (selector) => Array.from(document.querySelectorAll(selector));
  try {
    new Function('test', 'assert', 'assertEqual', 'sleep', 'click', 'text', 'style', 'all', '$', source)(
      test, assert, assertEqual, sleep, click, text, style, all, $);
  } catch (e) {
    return [{ name: 'load tests', passed: false, message: String(e && e.stack || e) }];
  }
  for (const t of tests) {
    try { await t.fn(); results.push({ name: t.name, passed: true, message: '' }); }
    catch (e) { results.push({ name: t.name, passed: false, message: String(e && e.message || e) }); }
  }
  return results;
};
