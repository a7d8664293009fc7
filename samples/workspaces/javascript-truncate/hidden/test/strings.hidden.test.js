'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { truncate } = require('../lib/strings');

test('text of exactly the limit is kept whole', () => {
  assert.equal(truncate('abcde', 5), 'abcde');
});

test('no space is left before the ellipsis', () => {
  assert.equal(truncate('one two three', 9), 'one two…');
});

test('a limit below one is a RangeError', () => {
  assert.throws(() => truncate('abc', 0), RangeError);
});
