import { last, type Seen, type LastValue } from '../../features/feature-spec.js';
import type { Detector } from '../detector.js';
import type { EvidenceValue } from '../signal.js';
import { reportFinding, type FindingLevel } from './maf-finding.js';
import { MAF_DEFAULTS, type MafOptions } from './maf-options.js';
import { countryOffsets, createTimezoneResolver, rangesApart } from './timezone-offsets.js';

/** A parsed `WxH` screen, or width -1 when unparseable. */
interface Screen {
  w: number;
  h: number;
}

/** Parses `1920x1080` (also `X` or `×`) into `into`; false when it is not two integers. */
function parseScreen(s: string, into: Screen): boolean {
  let w = 0;
  let h = 0;
  let seenX = false;
  let digits = 0;
  if (s.length === 0 || s.length > 16) return false;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c >= 48 && c <= 57) {
      if (seenX) h = h * 10 + (c - 48);
      else w = w * 10 + (c - 48);
      digits++;
    } else if (!seenX && (c === 120 || c === 88 || c === 215) && digits > 0) {
      seenX = true;
      digits = 0;
    } else {
      return false;
    }
  }
  if (!seenX || digits === 0) return false;
  into.w = w;
  into.h = h;
  return true;
}

/** The previous hash when it differs from the current one and is recent enough, else undefined. */
function changedFrom(
  prev: Seen<LastValue> | undefined,
  cur: string,
  at: number,
  window: number,
): string | undefined {
  if (prev === undefined || typeof prev.value !== 'string' || prev.value === cur) return undefined;
  return Math.abs(at - prev.at) <= window ? prev.value : undefined;
}

/**
 * `maf.fingerprint`: fingerprint consistency from the attributes the tracker/app sends.
 * - `timezone_mismatch` (YELLOW): `attrs.timezone` (IANA name, or minutes east of UTC) cannot be
 *   a local time of `geo.country`: their UTC-offset ranges (built-in country table, DST
 *   included) are more than `toleranceMinutes` (60) apart. Unknown countries are not checked.
 * - `fingerprint_change` (YELLOW): the device's `attrs.canvas` or `attrs.webgl` hash differs
 *   from the one it sent last, within `changeWindow` (30 d): a spoofing or emulated device.
 * - `headless_screen`: `attrs.screen` of 0 px (RED), a headless default such as `800x600` with
 *   no `attrs.webgl` (YELLOW), or a side outside `minSide`..`maxSide` (YELLOW).
 *
 * Signals have category `identity`; each check writes its own anomaly name.
 * @example createFingerprintDetector().id; // 'maf.fingerprint'
 */
export function createFingerprintDetector(opts: MafOptions = MAF_DEFAULTS): Detector {
  const o = opts.fingerprint;
  const lastCanvas = last({ entity: 'device', field: 'canvas' });
  const lastWebgl = last({ entity: 'device', field: 'webgl' });
  const resolve = createTimezoneResolver();
  const headless: Screen[] = [];
  for (const s of o.headlessScreens) {
    const p = { w: 0, h: 0 };
    if (parseScreen(s, p)) headless.push(p);
  }
  const screen: Screen = { w: 0, h: 0 };

  return {
    id: 'maf.fingerprint',
    features: [lastCanvas, lastWebgl],
    detect(ctx, out) {
      const e = ctx.event;
      const attrs = e.attrs;
      if (attrs === undefined) return;

      const country = e.geo?.country;
      const tz = attrs['timezone'];
      if (country !== undefined && tz !== undefined) {
        const zone = resolve(tz);
        const expected = zone === undefined ? undefined : countryOffsets(country);
        if (zone !== undefined && expected !== undefined && rangesApart(zone, expected, o.toleranceMinutes)) {
          reportFinding(out, {
            anomaly: 'timezone_mismatch',
            level: o.timezoneLevel,
            category: 'identity',
            reason: `Browser timezone ${String(tz)} (UTC${fmtRange(zone.min, zone.max)}) does not fit the IP's country ${country} (UTC${fmtRange(expected.min, expected.max)}).`,
            evidence: {
              timezone: tz,
              country,
              timezoneOffsets: [zone.min, zone.max],
              countryOffsets: [expected.min, expected.max],
            },
          });
        }
      }

      const canvas = attrs['canvas'];
      const webgl = attrs['webgl'];
      const device = e.device;
      if (device !== undefined) {
        const prevCanvas =
          typeof canvas === 'string' && canvas !== ''
            ? changedFrom(ctx.features.get(lastCanvas), canvas, e.at, o.changeWindow)
            : undefined;
        const prevWebgl =
          typeof webgl === 'string' && webgl !== ''
            ? changedFrom(ctx.features.get(lastWebgl), webgl, e.at, o.changeWindow)
            : undefined;
        const canvasChanged = prevCanvas !== undefined;
        const webglChanged = prevWebgl !== undefined;
        if (canvasChanged || webglChanged) {
          const evidence: Record<string, EvidenceValue> = { device, canvasChanged, webglChanged };
          if (prevCanvas !== undefined && typeof canvas === 'string') {
            evidence['canvas'] = canvas;
            evidence['previousCanvas'] = prevCanvas;
          }
          if (prevWebgl !== undefined && typeof webgl === 'string') {
            evidence['webgl'] = webgl;
            evidence['previousWebgl'] = prevWebgl;
          }
          const what =
            canvasChanged && webglChanged ? 'canvas and WebGL' : canvasChanged ? 'canvas' : 'WebGL';
          reportFinding(out, {
            anomaly: 'fingerprint_change',
            level: o.changeLevel,
            category: 'identity',
            reason: `The device's ${what} fingerprint changed since its previous event: a spoofed or emulated browser.`,
            evidence,
          });
        }
      }

      const s = attrs['screen'];
      if (typeof s === 'string' && parseScreen(s, screen)) {
        const noWebgl = typeof webgl !== 'string' || webgl === '';
        let level: FindingLevel | undefined;
        let why = '';
        if (screen.w === 0 || screen.h === 0) {
          level = o.zeroScreenLevel;
          why = 'a zero-sized screen';
        } else if (noWebgl && headless.some((x) => x.w === screen.w && x.h === screen.h)) {
          level = o.headlessLevel;
          why = 'a headless-browser default screen without WebGL';
        } else if (Math.min(screen.w, screen.h) < o.minSide || Math.max(screen.w, screen.h) > o.maxSide) {
          level = o.headlessLevel;
          why = 'an implausible screen size';
        }
        if (level !== undefined) {
          reportFinding(out, {
            anomaly: 'headless_screen',
            level,
            category: 'identity',
            reason: `Screen ${s} is ${why}, typical of headless automation.`,
            evidence: { screen: s, width: screen.w, height: screen.h, webgl: !noWebgl },
          });
        }
      }
    },
  };
}

function fmtOffset(m: number): string {
  const sign = m < 0 ? '-' : '+';
  const a = Math.abs(m);
  const h = Math.floor(a / 60);
  const mm = a % 60;
  return mm === 0 ? `${sign}${h}` : `${sign}${h}:${String(mm).padStart(2, '0')}`;
}

function fmtRange(min: number, max: number): string {
  return min === max ? fmtOffset(min) : `${fmtOffset(min)}..${fmtOffset(max)}`;
}
