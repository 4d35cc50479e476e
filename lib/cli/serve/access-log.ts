/**
 * Access-log lines of a local stage in the stage's own format: the `$context.*` template of the template's
 * `AccessLogSetting.Format`, each variable replaced by the value the local stage knows for the request, and
 * `-` for a variable it does not know or that has no value, as API Gateway writes it.
 *
 * One difference, on purpose: values are escaped as the content of a JSON string (`"` and `\` and control
 * characters), so that a JSON format stays JSON whatever a client sends in, say, its User-Agent.
 *
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html#context-variable-reference
 */

/** The `$context` variables of one request, by name without the `$context.` prefix (`identity.sourceIp`). */
export type AccessLogValues = ReadonlyMap<string, string | number | undefined>;

/** A `$context` variable: a dotted name, each part letters, digits, `_` or `-` (`authorizer.claims.custom-x`). */
const VARIABLE = /\$context\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_-]+)*)/g;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `$context.requestTime`: the CLF time of `epochMs`, in UTC (`05/Dec/2026:08:38:33 +0000`). */
export function clfTime(epochMs: number): string {
  const date = new Date(epochMs);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}

/** A value as the content of a JSON string. */
const escaped = (value: string): string => JSON.stringify(value).slice(1, -1);

/**
 * One access-log line.
 * @param format the stage's `AccessLogSetting.Format`
 * @param values what the local stage knows of the request
 */
export function renderAccessLogLine(format: string, values: AccessLogValues): string {
  return format.replace(VARIABLE, (_match, name: string) => {
    const value = values.get(name);
    return value === undefined || value === '' ? '-' : escaped(String(value));
  });
}
