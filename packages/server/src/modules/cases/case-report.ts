import type { CaseEvidence } from './case-summary.js';
import { formatTime } from './case-summary.js';

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** HTML-escapes text for element content and quoted attributes. @example escapeHtml('<b>'); // '&lt;b&gt;' */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const h = escapeHtml;
const t = (ms: number | null): string => (ms === null ? '—' : h(formatTime(ms)));

function table(head: readonly string[], rows: readonly (readonly string[])[], empty: string): string {
  if (rows.length === 0) return `<p class="empty">${h(empty)}</p>`;
  return `<table><thead><tr>${head.map((c) => `<th>${h(c)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

const STYLE = `
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1b1f24;margin:2rem auto;max-width:60rem;padding:0 1rem;line-height:1.45}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.1rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem;margin-top:2rem}
.meta{color:#57606a;font-size:.9rem}table{border-collapse:collapse;width:100%;font-size:.85rem}
th,td{border:1px solid #d0d7de;padding:.3rem .45rem;text-align:left;vertical-align:top}th{background:#f6f8fa}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:600}dd{margin:0}
.summary{background:#f6f8fa;border-left:4px solid #0969da;padding:.6rem .9rem}.empty{color:#57606a;font-style:italic}
.badge{display:inline-block;padding:0 .4rem;border-radius:.6rem;background:#eaeef2;font-size:.8rem}
footer{margin-top:3rem;color:#57606a;font-size:.8rem}@media print{body{margin:0}}`;

/**
 * A self-contained HTML report of a case (inline styles, no scripts, no external assets), laid out
 * as the basis of a suspicious activity report: subject, narrative, activity, evidence, actions
 * taken, linked accounts, review notes and disposition. Every value is escaped.
 * @example reply.type('text/html').send(renderCaseReport(evidence, summary));
 */
export function renderCaseReport(ev: CaseEvidence, summary: string): string {
  const c = ev.case;
  const s = ev.subject;
  const subject = s
    ? `<dl><dt>User</dt><dd>${h(s.id)}</dd><dt>Tier</dt><dd>${h(s.tier ?? 'unknown')}</dd><dt>Status</dt><dd>${h(s.status)}</dd>
<dt>First seen</dt><dd>${t(s.firstSeen)}</dd><dt>Last seen</dt><dd>${t(s.lastSeen)}</dd><dt>Events</dt><dd>${s.eventCount}</dd>
<dt>Peak risk</dt><dd>${s.peakRisk.toFixed(2)}</dd><dt>Behaviour score</dt><dd>${s.behaviorScore.toFixed(0)} (${h(s.accessLevel)})</dd></dl>`
    : `<dl><dt>User</dt><dd>${h(c.userId ?? 'unknown')}</dd></dl><p class="empty">No profile stored for this user.</p>`;
  const decisions = table(
    ['Time', 'Event', 'Type', 'Risk', 'Level', 'Outcome', 'Why'],
    ev.decisions.map((d) => [
      t(d.at),
      h(d.eventId),
      h(d.type),
      d.risk.toFixed(2),
      h(d.level),
      h(d.outcome),
      h(d.explanation.slice(0, 3).join(' ')),
    ]),
    'No decisions were gathered.',
  );
  const signals = table(
    ['Signal', 'Category', 'Strongest score', 'Times', 'Reason'],
    ev.signals.map((x) => [h(x.code), h(x.category), x.maxScore.toFixed(2), String(x.count), h(x.reason)]),
    'No signals.',
  );
  const actions = table(
    ['Action', 'Status', 'Features', 'From', 'Until', 'Source', 'Reason'],
    ev.enforcements.map((e) => [
      h(e.action),
      `<span class="badge">${h(e.status)}</span>`,
      h(e.features.join(', ') || '—'),
      t(e.startsAt),
      e.endsAt === null ? 'until lifted' : t(e.endsAt),
      h(e.source),
      h(e.reason + (e.liftReason !== null ? ` (ended: ${e.liftReason})` : '')),
    ]),
    'No enforcement actions.',
  );
  const links = table(
    ['Shared identifier', 'Value', 'Other accounts'],
    ev.linkedEntities.map((l) => [h(l.kind), h(l.value), h(l.users.join(', ') + (l.more ? ', …' : ''))]),
    'No linked accounts found in the recent log.',
  );
  const notes = table(
    ['Time', 'Entry', 'By', 'Text'],
    ev.notes.map((n) => [t(n.at), h(n.kind), h(n.author), h(n.text)]),
    'No review notes.',
  );
  const disposition =
    c.status === 'resolved'
      ? `<dl><dt>Resolution</dt><dd>${h(c.resolution ?? '—')}</dd><dt>Resolved by</dt><dd>${h(c.resolvedBy ?? '—')}</dd>
<dt>Resolved at</dt><dd>${t(c.resolvedAt)}</dd><dt>Note</dt><dd>${h(c.resolutionNote ?? '—')}</dd></dl>`
      : `<p>Open (${h(c.status)}). Review due ${t(c.slaDueAt)}${c.overdue ? ' — <strong>overdue</strong>' : ''}.</p>`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Case ${h(c.id)} — suspicious activity report (draft)</title><style>${STYLE}</style></head>
<body>
<h1>Suspicious activity report (draft)</h1>
<p class="meta">Case ${h(c.id)} · app ${h(ev.appName)} · priority ${h(c.priority)} · opened ${t(c.createdAt)} · generated ${t(ev.now)}</p>
<h2>Subject</h2>${subject}
<h2>Narrative</h2><p class="summary">${h(summary)}</p>
<h2>Suspicious activity</h2>${decisions}
<h2>Evidence</h2>${signals}
<h2>Actions taken</h2>${actions}
<h2>Linked accounts</h2>${links}
<h2>Review notes</h2>${notes}
<h2>Disposition</h2>${disposition}
<footer>Prepared by Vigil from stored events and decisions. Times are UTC. This draft is a starting point for a filing and must be reviewed by a compliance officer.</footer>
</body></html>
`;
}
