import { Environment } from '@marcbachmann/cel-js';
import { describe, expect, it } from 'vitest';
import { requiredInputs } from './rule-requirements.js';

const env = new Environment()
  .registerVariable('amount', 'double')
  .registerVariable('user', 'string')
  .registerVariable('hour', 'int')
  .registerVariable('attrs', 'map<string, dyn>')
  .registerVariable('tags', 'list<string>');
const nullable = new Set(['amount', 'user']);
const req = (expr: string): string[] => [...requiredInputs(env.parse(expr).ast, nullable)].sort();

describe('requiredInputs', () => {
  it.each([
    ['amount > 10000.0', ['amount']],
    ['amount > 1.0 && user == "x"', ['amount', 'user']],
    ['amount > 1.0 || user == "x"', []],
    ['(amount > 1.0 || amount < 0.0) && hour > 3', ['amount']],
    ['!(amount > 1.0)', ['amount']],
    ['!(amount > 1.0 && user == "x")', []],
    ['attrs.channel == "web"', ['attrs.channel']],
    ['attrs["channel"] == "web" && user.startsWith("a")', ['attrs.channel', 'user']],
    ['has(attrs.channel)', []],
    ['!has(attrs.c) || attrs.c == 1', []],
    ['user == "a" ? amount > 1.0 : amount > 2.0', ['amount', 'user']],
    ['user == "a" ? amount > 1.0 : true', ['user']],
    ['tags.exists(amount, amount == "x")', []],
    ['size(user) > 3', ['user']],
    ['hour > 3', []],
    ['[amount].size() > 0', []],
  ])('%s needs %j', (expr, want) => expect(req(expr)).toEqual(want));
});
