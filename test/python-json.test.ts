import { expect } from 'chai';
import { pythonFloat, pythonJsonDumps, pythonNumber } from '../shared/python-json';

describe('Python json.dumps', function () {
  it('writes floats as Python repr does', function () {
    const cases: Array<[number, string]> = [
      [0.5, '0.5'],
      [1e-5, '1e-05'],
      [0.0001, '0.0001'],
      [123.5, '123.5'],
      [1e-7, '1e-07'],
      [-2.5, '-2.5'],
      [5e-324, '5e-324'],
      [-2.5e-7, '-2.5e-07'],
      [123456789012345.6, '123456789012345.6'],
      [NaN, 'NaN'],
      [Infinity, 'Infinity'],
      [-Infinity, '-Infinity'],
    ];
    for (const [n, s] of cases) expect(pythonNumber(n), String(n)).to.equal(s);
  });

  it('writes a float as Python repr does, whole ones included (what a stored float is written as)', function () {
    const cases: Array<[number, string]> = [
      [3, '3.0'],
      [-0, '-0.0'],
      [1e16, '1e+16'],
      [2.5e16, '2.5e+16'],
      [2 ** 53, '9007199254740992.0'],
      [1e21, '1e+21'],
      [1.7976931348623157e308, '1.7976931348623157e+308'],
      [0.1, '0.1'],
    ];
    for (const [n, s] of cases) expect(pythonFloat(n), String(n)).to.equal(s);
  });

  it('writes every integral number and bigint as a Python int, at any magnitude; -0 is 0', function () {
    expect(pythonNumber(3)).to.equal('3');
    expect(pythonNumber(-42)).to.equal('-42');
    expect(pythonNumber(-0)).to.equal('0');
    expect(pythonNumber(Number.MAX_SAFE_INTEGER)).to.equal('9007199254740991');
    expect(pythonNumber(2 ** 53)).to.equal('9007199254740992');
    expect(pythonNumber(1e21)).to.equal('1000000000000000000000');
    expect(pythonNumber(9007199254740993n)).to.equal('9007199254740993');
    expect(pythonNumber(-(2n ** 64n))).to.equal('-18446744073709551616');
    expect(pythonJsonDumps([2n ** 63n - 1n, 0.5])).to.equal('[9223372036854775807, 0.5]');
  });

  it('escapes strings with ensure_ascii, astral characters as surrogate pairs', function () {
    expect(pythonJsonDumps('a"b\\c\n\r\t\b\f')).to.equal('"a\\"b\\\\c\\n\\r\\t\\b\\f"');
    expect(pythonJsonDumps('é😀\u007f\u0001')).to.equal('"\\u00e9\\ud83d\\ude00\\u007f\\u0001"');
  });

  it('writes containers with Python separators, keeping object key order', function () {
    expect(pythonJsonDumps({ b: [1, true, null], a: { c: 'x' } })).to.equal('{"b": [1, true, null], "a": {"c": "x"}}');
    expect(pythonJsonDumps([])).to.equal('[]');
    expect(pythonJsonDumps({})).to.equal('{}');
  });

  it('refuses values JSON cannot carry with a TypeError', function () {
    expect(() => pythonJsonDumps(undefined)).to.throw(TypeError);
    expect(() => pythonJsonDumps([() => 1])).to.throw(TypeError);
  });
});
