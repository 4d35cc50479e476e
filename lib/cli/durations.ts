/**
 * The CLI's time values: durations such as `30d` (`--expires-in`, `--since`) and instants such as
 * `2026-05-01T12:00:00Z` or `now` (`revoke before`).
 */
import { usageError } from './errors';

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };
const DURATION = /^([1-9]\d{0,6})([smhd])$/;
// A zone designator is required: a time without one would be read in the operator's local zone.
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;

/** The longest duration the CLI accepts, ten years: longer than any token or log retention. */
export const MAX_DURATION_SECONDS = 3650 * UNIT_SECONDS.d!;

/**
 * Parses a duration: a positive whole number and a unit, `s`, `m`, `h` or `d` (`90m`, `30d`).
 *
 * @param flag the option, for the message
 * @returns the duration in seconds
 * @throws CliError (exit 2) when the text is not such a duration or exceeds {@link MAX_DURATION_SECONDS}
 */
export function parseDuration(text: string, flag: string): number {
  const match = DURATION.exec(text);
  const seconds = match ? Number(match[1]) * UNIT_SECONDS[match[2]!]! : NaN;
  if (!(seconds <= MAX_DURATION_SECONDS)) {
    throw usageError(
      'ERR_BAD_DURATION',
      `${flag} must be a whole number followed by s, m, h or d, e.g. 90m or 30d, at most 3650d (received: ${JSON.stringify(text)}).`,
    );
  }
  return seconds;
}

/**
 * Parses an instant: `now`, or an ISO 8601 date and time with a zone (`2026-05-01T12:00:00Z`,
 * `2026-05-01T14:00+02:00`).
 *
 * @param nowMs the current time, for `now`
 * @returns milliseconds since the epoch
 * @throws CliError (exit 2) when the text is neither
 */
export function parseInstant(text: string, what: string, nowMs: number): number {
  if (text === 'now') {
    return nowMs;
  }
  const match = INSTANT.exec(text);
  const ms = match !== null && isCalendarTime(match) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms)) {
    throw usageError(
      'ERR_BAD_TIME',
      `${what} must be \`now\` or an ISO 8601 time with a zone, e.g. 2026-05-01T12:00:00Z (received: ${JSON.stringify(text)}).`,
    );
  }
  if (ms < 0) {
    throw usageError('ERR_BAD_TIME', `${what} must not be before 1970-01-01T00:00:00Z, the start of token issue times (received: ${JSON.stringify(text)}).`);
  }
  return ms;
}

// Date.parse rolls an impossible date or hour over (2026-02-30 is read as 2026-03-02), so each field is checked.
function isCalendarTime(match: RegExpExecArray): boolean {
  const [year, month, day, hour, minute, second, offsetHours, offsetMinutes] = match.slice(1).map((field) => (field === undefined ? 0 : Number(field)));
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  return month! >= 1 && month! <= 12 && day! >= 1 && day! <= daysInMonth && hour! <= 23 && minute! <= 59 && second! <= 59 && offsetHours! <= 23 && offsetMinutes! <= 59;
}

/** Seconds as people read them: `45 s`, `5 min`, `2 h 30 min`, `30 d`. */
export function formatSeconds(seconds: number): string {
  if (seconds < 60 || seconds % 60 !== 0) {
    return `${seconds} s`;
  }
  if (seconds < 3600) {
    return `${seconds / 60} min`;
  }
  if (seconds % 86_400 === 0) {
    return `${seconds / 86_400} d`;
  }
  const hours = Math.floor(seconds / 3600);
  const minutes = (seconds % 3600) / 60;
  return minutes === 0 ? `${hours} h` : `${hours} h ${minutes} min`;
}
