import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  numberField,
  numbersField,
  runPython,
  sklearnSummaryKeys,
  sklearnVersion,
  SYSTEM_PYTHON,
} from './sklearn.js';

// Reads the float64 file with the standard library only, so the test needs no numpy or sklearn.
const SUM_SCRIPT = String.raw`
import json, struct, sys
p = json.loads(sys.argv[1])
raw = open(sys.argv[2], 'rb').read()
xs = struct.unpack('<%dd' % (len(raw) // 8), raw)
print('noise first')
print(json.dumps({'sum': sum(xs) * p['k'], 'xs': list(xs)}))
`;

describe('scikit-learn bridge', () => {
  it('reports a missing interpreter as no scikit-learn, and fails runs clearly', () => {
    expect(sklearnVersion('/nonexistent/python3')).toBeNull();
    expect(() => runPython('print(1)', {}, [], { python: '/nonexistent/python3' })).toThrow(
      /python failed to run/,
    );
  });

  it('gives null summary keys without scikit-learn', () => {
    const keys = sklearnSummaryKeys(null);
    expect(keys['sklearn_iforest_fit_ms']).toBeNull();
    expect(keys['target_iforest_train_faster_than_sklearn']).toBeNull();
  });

  it.skipIf(!existsSync(SYSTEM_PYTHON))('passes float64 arrays exactly and reads the last JSON line', () => {
    const xs = Float64Array.of(0.1, -2.5e-300, 1 / 3);
    const out = runPython(SUM_SCRIPT, { k: 2 }, [xs]);
    expect(Array.from(numbersField(out, 'xs', 3))).toEqual(Array.from(xs));
    expect(numberField(out, 'sum')).toBeCloseTo(2 * (0.1 + 1 / 3), 12);
    expect(() => numbersField(out, 'xs', 4)).toThrow(/3 values, expected 4/);
    expect(() => numberField(out, 'missing')).toThrow(/missing is not a number/);
    expect(() => runPython('import sys; sys.exit("boom")', {}, [])).toThrow(/exited with 1: boom/);
    expect(() => runPython('print("no json")', {}, [])).toThrow(/no JSON line last/);
  });
});
