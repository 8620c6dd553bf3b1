import { cluster, neighbors, type ClusterSpec, type NeighborsSpec } from '../../features/feature-spec.js';
import type { ListLookup } from '../../lists/list-lookup.js';
import type { Detector, DetectorContext, DetectorOutput } from '../detector.js';
import type { AlertType, Outcome } from '../signal.js';
import type { OracleOptions } from './oracle-options.js';
import { emitFinding, ORACLE_TYPES, setAnalyzerScore } from './oracle-shared.js';

/** The features the graph analyzer reads. */
export interface GraphFeatures {
  /** Addresses the sender paid recently (newest first). */
  readonly senderPaid: NeighborsSpec;
  /** Addresses that paid the recipient recently. */
  readonly recipientPaidBy: NeighborsSpec;
  /** Addresses the recipient paid recently (read as the recipient). */
  readonly recipientPaid: NeighborsSpec;
  /** Addresses that paid the sender recently (read as the sender). */
  readonly senderPaidBy: NeighborsSpec;
  /** The user's cluster of accounts linked by shared devices/wallets. */
  readonly cluster: ClusterSpec;
}

/**
 * The feature specs of the graph analyzer for the given options.
 * @example graphFeatures(ORACLE_DEFAULTS.graph).recipientPaid.readAs // 'counterparty'
 */
export function graphFeatures(o: OracleOptions['graph']): GraphFeatures {
  const t = ORACLE_TYPES;
  const max = o.neighborMax;
  return {
    senderPaid: neighbors({ entity: 'wallet', of: 'counterparty', max, types: t }),
    recipientPaidBy: neighbors({ entity: 'counterparty', of: 'wallet', max, types: t }),
    recipientPaid: neighbors({ entity: 'wallet', of: 'counterparty', max, types: t, readAs: 'counterparty' }),
    senderPaidBy: neighbors({ entity: 'counterparty', of: 'wallet', max, types: t, readAs: 'wallet' }),
    // No type filter: logins and signups link devices too.
    cluster: cluster({ entity: 'user', via: o.sybilVia }),
  };
}

/** What a block-list label means to graph analysis. */
export const BAD_ACTOR_CLASSES = ['sanctioned', 'mixer', 'bad_actor'] as const;
export type BadActorClass = (typeof BAD_ACTOR_CLASSES)[number];

/** Where the bad actor sits relative to this transaction. */
export const GRAPH_DISTANCES = ['direct', 'sender_history', 'recipient_history'] as const;
export type GraphDistance = (typeof GRAPH_DISTANCES)[number];

/**
 * Graph score of a bad actor by class and distance: a direct party outranks the sender's own
 * past counterparties, which outrank the recipient's (one hop away).
 * @example GRAPH_SCORES.direct.sanctioned // 100
 */
export const GRAPH_SCORES: Readonly<Record<GraphDistance, Readonly<Record<BadActorClass, number>>>> =
  Object.freeze({
    direct: Object.freeze({ sanctioned: 100, mixer: 85, bad_actor: 80 }),
    sender_history: Object.freeze({ sanctioned: 85, mixer: 70, bad_actor: 60 }),
    recipient_history: Object.freeze({ sanctioned: 70, mixer: 60, bad_actor: 50 }),
  });

const ALERT_OF = {
  sanctioned: 'SANCTIONED_INTERACTION',
  mixer: 'MIXING_DETECTED',
  bad_actor: undefined,
} as const satisfies Record<BadActorClass, AlertType | undefined>;

const WHAT = {
  sanctioned: 'a sanctioned',
  mixer: 'a mixer',
  bad_actor: 'a blocked',
} as const satisfies Record<BadActorClass, string>;

/**
 * The graph analyzer (`oracle.graph`). Scores 0..100, the highest of:
 * - direct link: the sender or recipient is on the wallet block list → sanctioned label 100
 *   (SANCTIONED_INTERACTION, asks for block), mixer label 85 (MIXING_DETECTED), other 80;
 * - the sender's recent counterparties (either direction) include a listed address → 85 / 70 / 60;
 * - one hop: the recipient's recent counterparties include one → 70 / 60 / 50 (sanctioned ones
 *   raise SANCTIONED_INTERACTION);
 * - Sybil cluster: the user's cluster (accounts linked by `sybilVia`) has `sybilMinCluster`
 *   members → 65, twice → 80, four times → 90 (SYBIL_ATTACK).
 * @example createGraphDetector(resolveOracleOptions()).id // 'oracle.graph'
 */
export function createGraphDetector(opts: OracleOptions): Detector {
  const o = opts.graph;
  const F = graphFeatures(o);
  const sanctioned = new Set(o.sanctionedLabels);
  const mixers = new Set(o.mixerLabels);

  function classify(lists: ListLookup, addr: string): BadActorClass | undefined {
    const hit = lists.lookup('wallet', addr);
    if (hit === undefined || hit.verdict !== 'block') return undefined;
    if (sanctioned.has(hit.label)) return 'sanctioned';
    if (mixers.has(hit.label)) return 'mixer';
    return 'bad_actor';
  }

  function report(
    out: DetectorOutput,
    distance: GraphDistance,
    cls: BadActorClass,
    addr: string,
    role: string,
  ): number {
    const s = GRAPH_SCORES[distance][cls];
    const action: Outcome | undefined = distance === 'direct' && cls === 'sanctioned' ? 'block' : undefined;
    const reason =
      distance === 'direct'
        ? `The ${role} ${addr} is ${WHAT[cls]} address.`
        : `The ${role} recently transacted with ${WHAT[cls]} address (${addr}).`;
    emitFinding(
      out,
      'graph',
      `oracle.graph.${distance === 'direct' ? cls : `${distance}_${cls}`}`,
      s,
      ALERT_OF[cls],
      reason,
      { address: addr, role, distance, class: cls },
      action,
    );
    return s;
  }

  // Scratch for the one-hop scan, reused across events (detect is synchronous).
  const best: { score: number; distance: GraphDistance; cls: BadActorClass; addr: string } = {
    score: 0,
    distance: 'sender_history',
    cls: 'bad_actor',
    addr: '',
  };

  function scan(
    lists: ListLookup,
    list: readonly string[],
    distance: GraphDistance,
    sender: string | undefined,
    recipient: string | undefined,
  ): void {
    const table = GRAPH_SCORES[distance];
    for (let i = 0; i < list.length; i++) {
      const addr = list[i];
      if (addr === undefined || addr === sender || addr === recipient) continue;
      const c = classify(lists, addr);
      if (c === undefined) continue;
      const s = table[c];
      if (s > best.score) {
        best.score = s;
        best.distance = distance;
        best.cls = c;
        best.addr = addr;
      }
    }
  }

  return {
    id: 'oracle.graph',
    features: Object.freeze([F.senderPaid, F.recipientPaidBy, F.recipientPaid, F.senderPaidBy, F.cluster]),
    appliesTo: ORACLE_TYPES,
    detect(ctx: DetectorContext, out: DetectorOutput): void {
      const e = ctx.event;
      const f = ctx.features;
      const lists = ctx.lists;
      let score = 0;
      const sender = e.wallet;
      const recipient = e.counterparty;

      if (sender !== undefined) {
        const c = classify(lists, sender);
        if (c !== undefined) {
          const s = report(out, 'direct', c, sender, 'sender');
          if (s > score) score = s;
        }
      }
      if (recipient !== undefined && recipient !== sender) {
        const c = classify(lists, recipient);
        if (c !== undefined) {
          const s = report(out, 'direct', c, recipient, 'recipient');
          if (s > score) score = s;
        }
      }

      // Strongest listed address among recent counterparties; direct parties are covered above.
      best.score = 0;
      if (sender !== undefined) {
        scan(lists, f.get(F.senderPaid), 'sender_history', sender, recipient);
        scan(lists, f.get(F.senderPaidBy), 'sender_history', sender, recipient);
      }
      if (recipient !== undefined && best.score < GRAPH_SCORES.sender_history.sanctioned) {
        scan(lists, f.get(F.recipientPaidBy), 'recipient_history', sender, recipient);
        scan(lists, f.get(F.recipientPaid), 'recipient_history', sender, recipient);
      }
      if (best.score > 0) {
        const d = best.distance;
        report(out, d, best.cls, best.addr, d === 'sender_history' ? 'sender' : 'recipient');
        if (best.score > score) score = best.score;
      }

      if (e.user !== undefined) {
        const size = f.get(F.cluster).size;
        const m = o.sybilMinCluster;
        if (size >= m) {
          const s = size >= 4 * m ? 90 : size >= 2 * m ? 80 : 65;
          if (s > score) score = s;
          emitFinding(
            out,
            'graph',
            'oracle.graph.sybil',
            s,
            'SYBIL_ATTACK',
            `This account shares devices or wallets with ${size - 1} other accounts: a Sybil cluster.`,
            { clusterSize: size, via: o.sybilVia },
          );
        }
      }

      setAnalyzerScore(out, 'graph', score);
    },
  };
}
