import { isIP } from 'node:net';
import { Duration, Size, SizeRoundingBehavior, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { describeValue, SecureApiValidationError } from '../errors';

/**
 * ISO 3166-1 alpha-2 country codes that AWS WAF geo match statements accept, plus `XK` (Kosovo),
 * which WAF also supports.
 *
 * @see https://docs.aws.amazon.com/waf/latest/APIReference/API_GeoMatchStatement.html
 */
export const WAF_COUNTRY_CODES: ReadonlySet<string> = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
    'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO ' +
    'FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE ' +
    'JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO ' +
    'MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW ' +
    'PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM ' +
    'TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW XK'
  ).split(' '),
);

/** IP ranges split by address family, as AWS WAF IP sets require. */
export interface CidrsByVersion {
  /** IPv4 ranges in CIDR notation, de-duplicated, in the order given. */
  readonly ipv4: string[];
  /** IPv6 ranges in CIDR notation, de-duplicated, in the order given. */
  readonly ipv6: string[];
}

/** AWS WAF holds at most this many addresses in one IP set. */
export const MAX_IP_SET_ADDRESSES = 10000;

/** Largest web ACL capacity AWS WAF accepts. */
export const WAF_MAX_CAPACITY = 5000;

/**
 * Most `RedactedFields` entries a WAF logging configuration accepts.
 * @see https://docs.aws.amazon.com/waf/latest/APIReference/API_LoggingConfiguration.html
 */
export const WAF_MAX_REDACTED_FIELDS = 100;

/** Prefix AWS WAF requires of the name of a log group it writes to. */
export const WAF_LOG_GROUP_PREFIX = 'aws-waf-logs-';

/**
 * Longest log group name CloudWatch Logs accepts.
 * @see https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html
 */
export const LOG_GROUP_NAME_MAX_LENGTH = 512;

/** A CIDR range as {@link parseCidr} reads it. */
export interface ParsedCidr {
  /** The address family. */
  readonly version: 4 | 6;
  /** The prefix length. */
  readonly prefix: number;
  /** The range in network form, host bits cleared: `203.0.113.0/24` for `203.0.113.7/24`; IPv6 compressed. */
  readonly network: string;
  /** Whether the address has bits set beyond the prefix, i.e. names a host rather than the range. */
  readonly hostBitsSet: boolean;
}

/**
 * Reads `address/prefix` with Node's address rules: the address family, the prefix length and the network
 * form, or undefined when the value is not a CIDR range (a bare address is not one).
 *
 * @param value the text, e.g. `203.0.113.0/24` or `2001:db8::/32`
 * @returns the family (4 or 6), prefix length and network, or undefined
 */
export function parseCidr(value: string): ParsedCidr | undefined {
  const [, text, length] = /^([^/\s]+)\/(\d{1,3})$/.exec(value) ?? [];
  if (text === undefined || length === undefined) {
    return undefined;
  }
  const version = isIP(text);
  const prefix = Number(length);
  if ((version !== 4 && version !== 6) || prefix > (version === 4 ? 32 : 128)) {
    return undefined;
  }
  const bits = version === 4 ? 32 : 128;
  const address = version === 4 ? ipv4ToBigInt(text) : ipv6ToBigInt(text);
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
  const network = address & mask;
  return {
    version,
    prefix,
    network: `${version === 4 ? bigIntToIpv4(network) : bigIntToIpv6(network)}/${prefix}`,
    hostBitsSet: network !== address,
  };
}

/**
 * The rule every CIDR property shares: a range names its network, so `203.0.113.7/24` (which AWS would
 * silently read as `203.0.113.0/24`) is refused with the form to write instead.
 *
 * @param cidr a parsed range
 * @returns the rule broken, or undefined when the range is in network form
 */
export function cidrHostBitsProblem(cidr: ParsedCidr): string | undefined {
  return cidr.hostBitsSet ? `must hold CIDR ranges in network form, without host bits: write '${cidr.network}'` : undefined;
}

function ipv4ToBigInt(address: string): bigint {
  return address.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function bigIntToIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

function ipv6ToBigInt(address: string): bigint {
  let text = address.toLowerCase();
  const embedded = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (embedded?.[1] !== undefined) {
    const v4 = ipv4ToBigInt(embedded[1]);
    text = `${text.slice(0, embedded.index)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined
    ? headGroups
    : [...headGroups, ...new Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group, 16)), 0n);
}

/** RFC 5952 text form: lower case, leading zeros dropped, the longest run of two or more zero groups as `::`. */
function bigIntToIpv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt((7 - i) * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; i++) {
    let length = 0;
    while (i + length < 8 && groups[i + length] === 0) length++;
    if (length > bestLength) {
      bestStart = i;
      bestLength = length;
    }
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) {
    return hex.join(':');
  }
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/**
 * Validates IP ranges for an AWS WAF IP set and splits them by address family.
 *
 * AWS WAF accepts every IPv4 and IPv6 CIDR range except `/0`, and needs the prefix length written
 * out (`192.0.2.7/32`, not `192.0.2.7`), so a bare address is refused here rather than by AWS.
 *
 * @param scope the construct that takes the property, named in the message
 * @param prop name of the property, for the error message
 * @param cidrs the ranges
 * @returns the ranges by address family
 * @throws SecureApiValidationError on a token, a malformed range, host bits set, `/0` or more than 10,000 ranges per family
 * @see https://docs.aws.amazon.com/waf/latest/developerguide/waf-ip-set-managing.html
 */
export function parseCidrs(scope: IConstruct, prop: string, cidrs: readonly string[]): CidrsByVersion {
  const ipv4 = new Set<string>();
  const ipv6 = new Set<string>();
  for (const cidr of cidrs) {
    if (Token.isUnresolved(cidr)) {
      throw new SecureApiValidationError(
        `'${prop}' must hold literal CIDR ranges: an IP set is split by address family at synth (received: a token)`,
        scope,
      );
    }
    const parsed = parseCidr(cidr);
    const hostBits = parsed !== undefined && parsed.prefix >= 1 ? cidrHostBitsProblem(parsed) : undefined;
    if (hostBits !== undefined) {
      throw new SecureApiValidationError(`'${prop}' ${hostBits} (received: ${describeValue(cidr)})`, scope);
    }
    if (parsed?.version === 4 && parsed.prefix >= 1) {
      ipv4.add(cidr);
    } else if (parsed?.version === 6 && parsed.prefix >= 1) {
      ipv6.add(cidr.toLowerCase());
    } else {
      throw new SecureApiValidationError(
        `'${prop}' must hold CIDR ranges with a prefix length of 1 to 32 (IPv4) or 1 to 128 (IPv6) (received: ${describeValue(cidr)})`,
        scope,
      );
    }
  }
  for (const [family, set] of [['IPv4', ipv4], ['IPv6', ipv6]] as const) {
    if (set.size > MAX_IP_SET_ADDRESSES) {
      throw new SecureApiValidationError(
        `'${prop}' must hold at most ${MAX_IP_SET_ADDRESSES} ${family} ranges, the size of one AWS WAF IP set (received: ${set.size})`,
        scope,
      );
    }
  }
  return { ipv4: [...ipv4], ipv6: [...ipv6] };
}

/**
 * Validates country codes for an AWS WAF geo match statement.
 *
 * @param scope the construct that takes the property, named in the message
 * @param prop name of the property, for the error message
 * @param codes the codes
 * @returns the codes, de-duplicated, in the order given
 * @throws SecureApiValidationError when the list is empty or a code is not an ISO 3166-1 alpha-2 code WAF knows
 */
export function parseCountryCodes(scope: IConstruct, prop: string, codes: readonly string[]): string[] {
  if (codes.length === 0) {
    throw new SecureApiValidationError(`'${prop}' must hold at least one country code (received: [])`, scope);
  }
  for (const code of codes) {
    if (!WAF_COUNTRY_CODES.has(code)) {
      throw new SecureApiValidationError(
        `'${prop}' must hold upper-case ISO 3166-1 alpha-2 country codes (received: ${describeValue(code)})`,
        scope,
      );
    }
  }
  return [...new Set(codes)];
}

/**
 * Checks that a number is an integer within bounds, unless it is a token.
 *
 * @param scope the construct that takes the property, named in the message
 * @param prop name of the property, for the error message
 * @param value the number
 * @param min smallest allowed value
 * @param max largest allowed value
 * @throws SecureApiValidationError when the value is out of bounds or not an integer
 */
export function checkIntegerRange(scope: IConstruct, prop: string, value: number, min: number, max: number): void {
  if (Token.isUnresolved(value)) {
    return;
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SecureApiValidationError(`'${prop}' must be an integer between ${min} and ${max} (received: ${describeValue(value)})`, scope);
  }
}

/**
 * Checks an HTTP header name (an RFC 9110 token), as WAF rules and logging configurations take it.
 *
 * @param scope the construct that takes the property, named in the message
 * @param prop name of the property, for the error message
 * @param name the header name
 * @returns the name in lower case, the form WAF logs it in
 * @throws SecureApiValidationError when the name is not a token of 1 to 64 characters
 */
export function parseHeaderName(scope: IConstruct, prop: string, name: string): string {
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/.test(name)) {
    throw new SecureApiValidationError(`'${prop}' must be an HTTP header name of 1 to 64 token characters (received: ${describeValue(name)})`, scope);
  }
  return name.toLowerCase();
}

/**
 * Checks the name of a web ACL, unless it is a token.
 *
 * @param scope the construct that takes the property, named in the message
 * @param name the name
 * @throws SecureApiValidationError when the name is not 1 to 128 letters, digits, `-` or `_`
 */
export function checkWebAclName(scope: IConstruct, name: string): void {
  if (!Token.isUnresolved(name) && !/^[\w-]{1,128}$/.test(name)) {
    throw new SecureApiValidationError(`'webAclName' must be 1 to 128 letters, digits, '-' or '_' (received: ${describeValue(name)})`, scope);
  }
}

/**
 * Checks how much of a request body API Gateway forwards to AWS WAF.
 *
 * @param scope the construct that takes the property, named in the message
 * @param limit the body inspection limit
 * @returns the limit in KB
 * @throws SecureApiValidationError when the limit is not 16, 32, 48 or 64 KB
 * @see https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-setting-body-inspection-limit.html
 */
export function parseBodyInspectionLimit(scope: IConstruct, limit: Size): number {
  const kb = limit.toKibibytes({ rounding: SizeRoundingBehavior.NONE });
  if (![16, 32, 48, 64].includes(kb)) {
    throw new SecureApiValidationError(`'bodyInspectionLimit' must be 16, 32, 48 or 64 KB (received: ${kb} KB)`, scope);
  }
  return kb;
}

/**
 * Checks the evaluation window of a rate-based rule.
 *
 * @param scope the construct that takes the property, named in the message
 * @param prop name of the property, for the error message
 * @param window the window
 * @returns the window in seconds
 * @throws SecureApiValidationError when the window is not 1, 2, 5 or 10 minutes
 */
export function parseEvaluationWindow(scope: IConstruct, prop: string, window: Duration): number {
  const seconds = window.toSeconds({ integral: false });
  if (![60, 120, 300, 600].includes(seconds)) {
    throw new SecureApiValidationError(`'${prop}' must be 60, 120, 300 or 600 seconds (received: ${seconds})`, scope);
  }
  return seconds;
}

/**
 * Checks the name of the WAF log group, unless it is a token.
 *
 * @param scope the construct that takes the property, named in the message
 * @param name the log group name
 * @throws SecureApiValidationError when the name lacks the `aws-waf-logs-` prefix, holds other characters
 * than CloudWatch Logs allows, or is longer than 512 characters
 */
export function checkWafLogGroupName(scope: IConstruct, name: string): void {
  if (Token.isUnresolved(name)) {
    return;
  }
  if (!/^aws-waf-logs-[\w./#-]+$/.test(name)) {
    throw new SecureApiValidationError(
      `'logging.logGroupName' must start with '${WAF_LOG_GROUP_PREFIX}', as AWS WAF requires, and continue with letters, digits, '_', '-', '/', '.' or '#' (received: ${describeValue(name)})`,
      scope,
    );
  }
  if (name.length > LOG_GROUP_NAME_MAX_LENGTH) {
    throw new SecureApiValidationError(
      `'logging.logGroupName' must be at most ${LOG_GROUP_NAME_MAX_LENGTH} characters, the CloudWatch Logs limit (received: ${name.length} characters)`,
      scope,
    );
  }
}
