import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter } from './snapshot-codec.js';
import { ClusterGraph, MEMBER_GROUP, mapBytes, stringBytes } from './union-find.js';

const DEVICE = 1;

function roundTrip(g: ClusterGraph): ClusterGraph {
  const w = new ByteWriter(1);
  g.write(w);
  const r = ByteReader.open(w.finish(), 1);
  const out = ClusterGraph.read(r, g.maps.length, g.maxLinks);
  r.done();
  return out;
}

describe('ClusterGraph', () => {
  it('links members through shared values and counts members only', () => {
    const g = new ClusterGraph(2, 100);
    const a = g.node(MEMBER_GROUP, 'a', 1);
    const b = g.node(MEMBER_GROUP, 'b', 1);
    const d = g.node(DEVICE, 'd', 1);
    g.link(a, d);
    expect(g.membersOf(a)).toBe(1);
    g.link(b, d);
    expect(g.membersOf(a)).toBe(2);
    expect(g.membersOf(d)).toBe(2);
    const sameKey = g.node(DEVICE, 'a', 1); // a device named like a user is another node
    expect(sameKey).not.toBe(a);
    expect(g.lookup(MEMBER_GROUP, 'zz')).toBeUndefined();
  });

  it('compresses paths and unions by size', () => {
    const g = new ClusterGraph(2, 1000);
    const hub = g.node(DEVICE, 'hub', 1);
    const members = Array.from({ length: 50 }, (_, i) => g.node(MEMBER_GROUP, `u${i}`, 1));
    for (const m of members) g.link(m, hub);
    const root = g.find(hub);
    for (const m of members) {
      g.find(m);
      expect(g.parent[m]).toBe(root); // one hop after find
    }
    expect(g.size[root]).toBe(51);
    expect(g.membersOf(hub)).toBe(50);
  });

  it('stops a value merging more than maxLinks sets', () => {
    const g = new ClusterGraph(2, 2);
    const d = g.node(DEVICE, 'nat', 1);
    for (const id of ['a', 'b', 'c']) g.link(g.node(MEMBER_GROUP, id, 1), d);
    expect(g.membersOf(d)).toBe(2);
    expect(g.membersOf(g.node(MEMBER_GROUP, 'c', 1))).toBe(1);
  });

  it('expires idle nodes and keeps the memberships they made', () => {
    const g = new ClusterGraph(2, 100);
    const d = g.node(DEVICE, 'd', 1);
    g.link(g.node(MEMBER_GROUP, 'old', 1), d);
    g.link(g.node(MEMBER_GROUP, 'b', 5), g.node(DEVICE, 'd', 1));
    g.link(g.node(MEMBER_GROUP, 'c', 5), g.node(DEVICE, 'e', 5));
    g.link(g.node(MEMBER_GROUP, 'c', 5), g.node(DEVICE, 'd', 1));
    expect(g.membersOf(g.lookup(MEMBER_GROUP, 'b')!)).toBe(3);
    g.expire(5);
    expect(g.n).toBe(3);
    expect(g.lookup(MEMBER_GROUP, 'old')).toBeUndefined();
    expect(g.lookup(DEVICE, 'd')).toBeUndefined();
    expect(g.membersOf(g.lookup(MEMBER_GROUP, 'b')!)).toBe(2); // still linked to c
    expect(g.membersOf(g.lookup(DEVICE, 'e')!)).toBe(2);
  });

  it('round-trips through bytes and rejects broken parent chains', () => {
    const g = new ClusterGraph(2, 100);
    g.link(g.node(MEMBER_GROUP, 'a', 1), g.node(DEVICE, 'd', 2));
    g.link(g.node(MEMBER_GROUP, 'b', 3), g.node(DEVICE, 'd', 2));
    const copy = roundTrip(g);
    expect(copy.membersOf(copy.lookup(MEMBER_GROUP, 'b')!)).toBe(2);
    expect(Array.from(copy.seen.subarray(0, copy.n))).toEqual(Array.from(g.seen.subarray(0, g.n)));
    const cyclic = roundTrip(g);
    cyclic.parent[0] = 1;
    cyclic.parent[1] = 0;
    expect(() => roundTrip(cyclic)).toThrow(/cycle/);
    const outOfRange = roundTrip(g);
    outOfRange.parent[0] = 99;
    expect(() => roundTrip(outOfRange)).toThrow(/out of range/);
  });

  it('estimates its bytes from capacities and keys', () => {
    const g = new ClusterGraph(2, 100);
    const empty = g.byteSize();
    for (let i = 0; i < 1000; i++) g.node(MEMBER_GROUP, `user-${i}`, 1);
    expect(g.byteSize() - empty).toBeGreaterThan(1000 * (25 + 8 + 24));
    expect(mapBytes(1000)).toBe(1024 * 28 + 64);
    expect(stringBytes('abc')).toBe(24);
    expect(stringBytes('12345678')).toBe(24);
  });
});
