// Mercury.AI test harness for HTML pages: an init script, so it runs before any script of the page.
// Tests call test(name, async fn) and use assert, assertEqual, sleep, click (a real Playwright mouse click),
// text(selector), style(selector, property), all(selector).
// Everything the verdict depends on is captured here, before the page can change it: the functions used and the DOM
// accessors of the helpers; Promise is frozen, so no page can fake the settling of a test; the entry point is a
// read-only, non-configurable property under a random name. The result is a JSON string of null-prototype objects.
(() => {
  const name = '__HARNESS_NAME__', clickBinding = '__CLICK_BINDING__';
  const apply = Reflect.apply, defineProperty = Object.defineProperty, FunctionCtor = Function, stringify = JSON.stringify;
  const toString = String, NativePromise = Promise, then = Promise.prototype.then, setTimer = setTimeout;
  const ErrorCtor = Error, arrayFrom = Array.from, getStyle = getComputedStyle;
  const querySelector = Document.prototype.querySelector, querySelectorAll = Document.prototype.querySelectorAll;
  const textContent = Object.getOwnPropertyDescriptor(Node.prototype, 'textContent').get;
  const getPropertyValue = CSSStyleDeclaration.prototype.getPropertyValue;
  const resolved = Promise.resolve.bind(Promise);
  const capturedClick = window[clickBinding];
  const click = (selector) => (capturedClick || window[clickBinding])(selector);
  Object.freeze(Promise.prototype);
  Object.freeze(Promise);

  const settle = (value, onFulfilled, onRejected) => {
    try { apply(then, resolved(value), [onFulfilled, onRejected]); } catch (e) { onRejected(e); }
  };

  const runTests = (source) => new NativePromise((resolve) => {
    const tests = { __proto__: null };
    let defined = 0, json = '', count = 0;
    const record = (testName, passed, message) => {
      json += (count++ ? ',' : '') + stringify({ __proto__: null, name: toString(testName), passed: passed === true, message: toString(message || '') });
    };
    const test = (testName, fn) => { tests[defined++] = { __proto__: null, name: testName, fn }; };
    const assert = (condition, message) => { if (!condition) throw new ErrorCtor('Assertion failed: ' + (message || 'condition is false')); };
    const assertEqual = (actual, expected, message) => {
      if (actual !== expected) throw new ErrorCtor(`Assertion failed: ${message || ''} expected ${stringify(expected)}, got ${stringify(actual)}`);
    };
    const sleep = (ms) => new NativePromise((r) => setTimer(r, ms));
    const $ = (selector) => { const el = apply(querySelector, document, [selector]); if (!el) throw new ErrorCtor('No element matches ' + selector); return el; };
    const text = (selector) => apply(textContent, $(selector), []);
    const style = (selector, property) => apply(getPropertyValue, getStyle($(selector)), [property]);
    const all = (selector) => arrayFrom(apply(querySelectorAll, document, [selector]));
    const doClick = (selector) => click(selector);
    try {
      new FunctionCtor('test', 'assert', 'assertEqual', 'sleep', 'click', 'text', 'style', 'all', '$', source)(
        test, assert, assertEqual, sleep, doClick, text, style, all, $);
    } catch (e) {
      record('load tests', false, toString(e && e.stack || e));
      return resolve('[' + json + ']');
    }
    // A file that defines no test() but ran its top-level asserts without throwing is one passing result.
    if (defined === 0) record('tests', true, '');
    let i = 0;
    const next = () => {
      if (i >= defined) return resolve('[' + json + ']');
      const t = tests[i++];
      let value;
      try { value = t.fn(); } catch (e) { record(t.name, false, toString(e && e.message || e)); return next(); }
      settle(value, () => { record(t.name, true, ''); next(); }, (e) => { record(t.name, false, toString(e && e.message || e)); next(); });
    };
    next();
  });
  defineProperty(window, name, { value: runTests, writable: false, configurable: false, enumerable: false });
})();
