const TABLE = [[1000, 'M'], [900, 'CM'], [500, 'D'], [400, 'CD'], [100, 'C'], [90, 'XC'], [50, 'L'], [40, 'XL'], [10, 'X'], [9, 'IX'], [5, 'V'], [4, 'IV'], [1, 'I']];

function toRoman(n) {
  let s = '';
  for (const [value, letters] of TABLE) while (n >= value) { s += letters; n -= value; }
  return s;
}

function fromRoman(s) {
  let n = 0, i = 0;
  for (const [value, letters] of TABLE) while (s.startsWith(letters, i)) { n += value; i += letters.length; }
  return n;
}
