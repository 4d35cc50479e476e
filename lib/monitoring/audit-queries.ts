import { Names } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { Decision, DECISION_LOG_FIELDS, DECISION_LOG_MSG } from '../../lambda/contract';
import { MONITORING_DEFAULTS } from '../defaults';

/**
 * Placeholders of the saved queries that follow one request: replace them in the console before running.
 * The access-log record of the request holds all three (`requestId`, `extendedRequestId`,
 * `authorizerRequestId`); the `findRequest` query finds that record from any one of them.
 */
export const REQUEST_ID_PLACEHOLDERS = {
  /** API Gateway's request id (`$context.requestId`, response header `x-amzn-RequestId`). */
  requestId: 'REQUEST_ID',
  /** API Gateway's extended request id (`$context.extendedRequestId`), which is also WAF's `httpRequest.requestId`. */
  extendedRequestId: 'EXTENDED_REQUEST_ID',
  /** The authorizer Lambda's request id (`$context.authorizer.requestId`), the decision log's `requestId`. */
  authorizerRequestId: 'AUTHORIZER_REQUEST_ID',
} as const;

/**
 * Placeholders of the saved `subject-records` query: replace them in the console before running it
 * (`secure-api subject-records` fills them in, and joins the WAF lines by request id for you).
 */
export const SUBJECT_PLACEHOLDERS = {
  /** The subject's `sub`, as the logs hold it (under the pseudonymous profile: its pseudonym). */
  subject: 'SUBJECT',
  /** The user name (decision log). */
  username: 'USERNAME',
  /** The subject's own app client, if any. */
  clientId: 'CLIENT_ID',
  /** An `extendedRequestId` of the subject's access-log lines, to find the WAF log line of that request. */
  extendedRequestId: 'EXTENDED_REQUEST_ID',
} as const;

/** Properties of {@link AuditQueries}. */
export interface AuditQueriesProps {
  /** The API's access log group: one JSON record per request, in the `SECURE_API_DEFAULTS.accessLogFields` format. */
  readonly accessLogGroup: logs.ILogGroup;
  /** The JWT authorizer's log group: one JSON decision line per decision (`msg: "authorizer decision"`). */
  readonly authorizerLogGroup: logs.ILogGroup;
  /**
   * The web ACL's log group.
   * @default - no WAF queries, and the request trail covers the access and decision logs only
   */
  readonly wafLogGroup?: logs.ILogGroup;
  /**
   * Folder of the queries in the CloudWatch console (query names may contain `/`).
   * @default - `MONITORING_DEFAULTS.queryFolder` followed by a name unique to this construct's path
   */
  readonly folder?: string;
  /**
   * Save the `subject-records` query, which finds one data subject's lines (for an access request, and what
   * `secure-api subject-records` runs). `false` leaves it out.
   * @default true
   */
  readonly subjectRecords?: boolean;
}

/**
 * Saved CloudWatch Logs Insights queries for incident response, over the access log, the authorizer's
 * decision log and the WAF log.
 *
 * None of them reads a token or a body: the logs hold none (the access log records identities the
 * authorizer verified, the decision log reason codes, the WAF log redacted headers).
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax.html
 */
export class AuditQueries extends Construct {
  /** Who called what: requests by `sub`, client id, method, resource and status (access log). */
  public readonly whoCalledWhat: logs.QueryDefinition;
  /** Denied and unauthorized requests by client id, reason code and route (decision log). */
  public readonly deniedRequests: logs.QueryDefinition;
  /** Requests answered 429, by client IP address and client id, and whether WAF answered (access log). */
  public readonly throttledRequests: logs.QueryDefinition;
  /** Requests the web ACL blocked, by client IP address, country and terminating rule (WAF log). */
  public readonly wafBlocks?: logs.QueryDefinition;
  /**
   * The access-log record of one request, found by any of its ids; it holds the three ids the request
   * trail needs (replace `REQUEST_ID`).
   */
  public readonly findRequest: logs.QueryDefinition;
  /**
   * One request across the WAF log, the access log and the decision log, in time order (replace
   * `REQUEST_ID`, `EXTENDED_REQUEST_ID` and `AUTHORIZER_REQUEST_ID`). When API Gateway answered from the
   * authorizer cache, the decision shown is the one cached for the token, made for an earlier request.
   */
  public readonly requestTrail: logs.QueryDefinition;
  /**
   * One data subject's lines across the access, decision and WAF logs (replace the
   * `SUBJECT_PLACEHOLDERS`): by `sub`, `principalId`, `username` and `clientId`, and WAF lines by the
   * `extendedRequestId` of the subject's access-log lines, as WAF lines name no identity. Absent with
   * `subjectRecords: false`.
   */
  public readonly subjectRecords?: logs.QueryDefinition;
  /** Every query above. */
  public readonly queries: logs.QueryDefinition[];
  /** Folder of the queries in the CloudWatch console. */
  public readonly folder: string;

  /**
   * @param scope the parent construct
   * @param id the construct id
   * @param props the log groups the queries read
   */
  constructor(scope: Construct, id: string, props: AuditQueriesProps) {
    super(scope, id);
    const folder = props.folder ?? `${MONITORING_DEFAULTS.queryFolder}/${Names.uniqueResourceName(this, { maxLength: 64, separator: '-' })}`;
    this.folder = folder;
    const define = (name: string, queryString: logs.QueryString, logGroups: logs.ILogGroup[]): logs.QueryDefinition =>
      new logs.QueryDefinition(this, name.replace(/(^|-)(\w)/g, (_m, _dash, c: string) => c.toUpperCase()), {
        queryDefinitionName: `${folder}/${name}`,
        queryString,
        logGroups,
      });
    const { requestId, extendedRequestId, authorizerRequestId } = REQUEST_ID_PLACEHOLDERS;
    // Decision-log fields, and the filter that selects the decision lines.
    const decision = DECISION_LOG_FIELDS;
    const decisionLine = `${decision.msg} = "${DECISION_LOG_MSG}"`;

    this.whoCalledWhat = define('who-called-what', new logs.QueryString({
      fields: ['@timestamp', 'sub', 'clientId', 'scopes', 'httpMethod', 'resourcePath', 'status', 'ip'],
      statsStatements: ['count(*) as requests, min(@timestamp) as first, max(@timestamp) as last by sub, clientId, httpMethod, resourcePath, status'],
      sort: 'requests desc',
      limit: 1000,
    }), [props.accessLogGroup]);

    this.deniedRequests = define('denied-requests', new logs.QueryString({
      fields: ['@timestamp', decision.decision, decision.reason, decision.clientId, decision.sub, decision.route, decision.issuer],
      filterStatements: [decisionLine, `${decision.decision} != "${Decision.ALLOW}"`],
      statsStatements: [`count(*) as denials by ${decision.clientId}, ${decision.reason}, ${decision.decision}, ${decision.route}`],
      sort: 'denials desc',
      limit: 1000,
    }), [props.authorizerLogGroup]);

    this.throttledRequests = define('throttled-requests', new logs.QueryString({
      fields: ['@timestamp', 'ip', 'clientId', 'httpMethod', 'resourcePath', 'wafResponseCode'],
      // The access log writes `status` as a string; accept a number too.
      filterStatements: ['status = "429" or status = 429'],
      statsStatements: ['count(*) as throttled by ip, clientId, wafResponseCode'],
      sort: 'throttled desc',
      limit: 1000,
    }), [props.accessLogGroup]);

    if (props.wafLogGroup) {
      this.wafBlocks = define('waf-blocks', new logs.QueryString({
        fields: ['@timestamp', 'httpRequest.clientIp', 'httpRequest.country', 'terminatingRuleId', 'httpRequest.uri'],
        filterStatements: ['action = "BLOCK"'],
        statsStatements: ['count(*) as blocked by httpRequest.clientIp, httpRequest.country, terminatingRuleId'],
        sort: 'blocked desc',
        limit: 1000,
      }), [props.wafLogGroup]);
    }

    this.findRequest = define('find-request', new logs.QueryString({
      fields: ['@timestamp', 'requestId', 'extendedRequestId', 'authorizerRequestId', 'httpMethod', 'resourcePath', 'status', 'ip', 'clientId'],
      filterStatements: [`requestId = "${requestId}" or extendedRequestId = "${requestId}" or authorizerRequestId = "${requestId}"`],
      sort: '@timestamp asc',
      limit: 20,
    }), [props.accessLogGroup]);

    const trailGroups = [props.accessLogGroup, props.authorizerLogGroup, ...(props.wafLogGroup ? [props.wafLogGroup] : [])];
    this.requestTrail = define('request-trail', new logs.QueryString({
      fields: [
        '@timestamp', '@log', 'action', 'terminatingRuleId', 'status', 'httpMethod', 'resourcePath', 'wafResponseCode',
        'authorizerStatus', decision.decision, decision.reason, decision.clientId, decision.sub,
      ],
      filterStatements: [
        `requestId = "${requestId}" or extendedRequestId = "${extendedRequestId}" or httpRequest.requestId = "${extendedRequestId}"` +
          ` or (${decisionLine} and ${decision.requestId} = "${authorizerRequestId}")`,
      ],
      sort: '@timestamp asc',
      limit: 100,
    }), trailGroups);

    if (props.subjectRecords ?? true) {
      const { subject, username, clientId, extendedRequestId: wafRequestId } = SUBJECT_PLACEHOLDERS;
      this.subjectRecords = define('subject-records', new logs.QueryString({
        fields: ['@timestamp', '@log', '@message', 'requestId', 'extendedRequestId'],
        filterStatements: [
          `sub in ["${subject}"] or principalId in ["${subject}"] or username in ["${username}"] or clientId in ["${clientId}"]` +
            ` or httpRequest.requestId in ["${wafRequestId}"]`,
        ],
        sort: '@timestamp asc',
        limit: 10000,
      }), trailGroups);
    }

    this.queries = [this.whoCalledWhat, this.deniedRequests, this.throttledRequests, ...(this.wafBlocks ? [this.wafBlocks] : []),
      this.findRequest, this.requestTrail, ...(this.subjectRecords ? [this.subjectRecords] : [])];
  }
}
