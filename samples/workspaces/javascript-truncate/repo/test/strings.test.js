'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { slugify, truncate } = require('../lib/strings');

test('slugify joins lower-case words with hyphens', () => {
  assert.equal(slugify('Hello, World!'), 'hello-world');
});

test('truncate keeps text that fits', () => {
  assert.equal(truncate('short', 10), 'short');
});

test('truncate cuts long text and ends it with an ellipsis', () => {
  assert.equal(truncate('The quick brown fox', 10), 'The quick…');
});
