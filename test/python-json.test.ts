import { expect } from 'chai';
import {} from '../client';
import { pythonJsonDumps, pythonNumber } from '../shared/python-json';

describe('Python json.dumps', function () {
  it('writes floats as Python repr does', function () {
    const cases: Array<[number, string]> = [
      [0.5, '0.5'],
      [1e-5, '1e-05'],
      [0.0001, '0.0001'],
      [1e16, '1e+16'],
      [2.5e16, '2.5e+16'],
      [123.5, '123.5'],
      [1e21, '1e+21'],
      [1e-7, '1e-07'],
      [-2.5, '-2.5'],
      [5e-324, '5e-324'],
      [2 ** 53, '9007199254740992.0'],
      [1.7976931348623157e308, '1.7976931348623157e+308'],
      [123456789012345.6, '123456789012345.6'],
      [-0, '0'],
      [NaN, 'NaN'],
      [Infinity, 'Infinity'],
      [-Infinity, '-Infinity'],
    ];
    for (const [n, s] of cases) expect(pythonNumber(n), String(n)).to.equal(s);
  });

  it('writes safe integers as Python ints', function () {
    expect(pythonNumber(3)).to.equal('3');
    expect(pythonNumber(-42)).to.equal('-42');
    expect(pythonNumber(Number.MAX_SAFE_INTEGER)).to.equal('9007199254740991');
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
