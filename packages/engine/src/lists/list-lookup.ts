/** Kinds of block/allow lists. */
export const LIST_KINDS = ['user', 'device', 'ip', 'wallet', 'email_domain', 'email', 'user_agent'] as const;
export type ListKind = (typeof LIST_KINDS)[number];

/**
 * What a list says about a value. `block` forces a block and `allow` forces an allow; `flag` lists
 * a value for reputation only (public feeds: Tor exits, IPsum bad IPs, disposable e-mail domains,
 * crawler user agents): it raises the risk through a graded signal and forces nothing.
 * `sanctioned` and `bad_actor` are block entries with a reason class used by graph analysis.
 */
export const LIST_VERDICTS = ['block', 'allow', 'flag'] as const;
export type ListVerdict = (typeof LIST_VERDICTS)[number];

/** A list entry as detectors see it. */
export interface ListHit {
  readonly verdict: ListVerdict;
  /** Free label: 'sanctioned', 'bad_actor', 'tor', 'disposable', 'bad_ip', 'crawler', or the operator's reason. */
  readonly label: string;
  /** For reputation feeds: how many reports (0..) the value has; 1 when unknown. */
  readonly weight: number;
  /** What matched: the value itself, or a CIDR range. */
  readonly match: string;
}

/** Read side of the lists, answered in memory on the hot path. */
export interface ListLookup {
  /** The entry for a value (IP lookups also match CIDR ranges; user agents match patterns), or undefined. */
  lookup(kind: ListKind, value: string): ListHit | undefined;
}

/** A lookup with nothing listed. @example emptyLists.lookup('ip', '1.2.3.4') // undefined */
export const emptyLists: ListLookup = { lookup: () => undefined };
