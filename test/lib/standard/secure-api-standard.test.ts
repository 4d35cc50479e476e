import { App, Stack, Validations, type IPolicyValidationContext } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import { PUBLIC_ROUTE_DECLARATION } from '../../../lib/secure-api/acknowledgements';
import { declarePublic, PUBLIC_DECLARATION_METADATA_KEY } from '../../../lib/standard/declarations';
import { STANDARD_RULES } from '../../../lib/standard/rules';
import { checkTemplates, SecureApiStandard } from '../../../lib/standard/secure-api-standard';
import { StackTemplate } from '../../../lib/standard/template';
import { handWired } from '../../fixtures/mixed-app';
import { ENV, SCENARIOS } from '../scenarios';

function templatesOf(app: App): StackTemplate[] {
  const assembly = app.synth();
  return assembly.stacks.map((stack) => new StackTemplate(stack.templateFullPath, stack.template));
}

const verdicts = (templates: StackTemplate[]) =>
  checkTemplates(templates).flatMap(({ rule, findings }) => findings.map((finding) => `${rule.id} ${finding.resource.logicalId} ${finding.compliant ? 'pass' : 'FAIL'}`));

describe('SecureApiStandard', () => {
  test('every rule fails and passes on a hand-wired stack exactly where it should', () => {
    const app = new App();
    handWired(app);
    const results = verdicts(templatesOf(app));
    const failures = results.filter((line) => line.endsWith('FAIL'));
    expect(failures.map((line) => line.replace(/[0-9A-F]{8} FAIL$/, ' FAIL'))).toEqual([
      'SecureApi-AuthOnEveryMethod RestordersPOST FAIL',
      'SecureApi-AuthOnEveryMethod RestordersDELETE FAIL',
      'SecureApi-HttpApiRouteAuth HttpPOSTopen FAIL',
      'SecureApi-FunctionUrlAuth FnFunctionUrl FAIL',
      'SecureApi-StageWebAcl RestDeploymentStageprod FAIL',
      'SecureApi-StageThrottling RestDeploymentStageprod FAIL',
      'SecureApi-AccessLogging RestDeploymentStageprod FAIL',
      'SecureApi-NoDataTrace RestDeploymentStageprod FAIL',
      'SecureApi-LogRetention Forever FAIL',
      'SecureApi-DomainTls OldDomain FAIL',
      'SecureApi-CorsCredentials RestpubliccorsOPTIONS FAIL',
      'SecureApi-CognitoClient PoolSpa FAIL',
      'SecureApi-AuthorizerCache TokenAuth FAIL',
    ]);
    const passing = results.filter((line) => line.endsWith('pass')).map((line) => line.replace(/[0-9A-F]{8} pass$/, ''));
    expect(passing).toEqual(
      expect.arrayContaining([
        'SecureApi-AuthOnEveryMethod RestordersGET',
        'SecureApi-AuthOnEveryMethod ResthealthGET',
        'SecureApi-AuthOnEveryMethod RestpubliccorsOPTIONS',
        'SecureApi-HttpApiRouteAuth HttpGETpartners',
        'SecureApi-FunctionUrlAuth SignedFunctionUrl',
        'SecureApi-StageWebAcl GuardedDeploymentStagelive',
        'SecureApi-StageThrottling GuardedDeploymentStagelive',
        'SecureApi-AccessLogging GuardedDeploymentStagelive',
        'SecureApi-NoDataTrace GuardedDeploymentStagelive',
        'SecureApi-LogRetention Month',
        'SecureApi-DomainTls GuardedCustomDomain',
        'SecureApi-CorsCredentials OpenCors',
        'SecureApi-CorsCredentials GuardedOPTIONS',
        'SecureApi-CognitoClient PoolWeb',
        'SecureApi-AuthorizerCache RouteKeyed',
      ]),
    );
  });

  test.each(SCENARIOS.map((scenario) => [scenario.name, scenario] as const))('%s meets every rule of the standard', (_name, scenario) => {
    const { app } = scenario.build();
    const templates = templatesOf(app);
    expect(verdicts(templates).filter((line) => line.endsWith('FAIL'))).toEqual([]);
    // A route added with { public: true } carries its declaration, with the reason, into the template.
    const publicMethods = templates.flatMap((template) => template.ofType('AWS::ApiGateway::Method').filter((method) => method.metadata[PUBLIC_DECLARATION_METADATA_KEY] !== undefined));
    for (const method of publicMethods) {
      expect(method.properties.AuthorizationType).toBe('NONE');
      expect(method.metadata[PUBLIC_DECLARATION_METADATA_KEY]).toBe(PUBLIC_ROUTE_DECLARATION);
    }
    expect(publicMethods.map((method) => method.properties.HttpMethod)).toEqual(scenario.name === 'secure api with all options' ? ['GET'] : []);
  });

  test('a failed error-level rule fails synthesis through CDK validation, and an acknowledgement with a reason clears it', () => {
    const failing = new App();
    Validations.of(failing).addPlugins(new SecureApiStandard());
    const stack = new Stack(failing, 'Team', { env: ENV });
    new logs.LogGroup(stack, 'Forever', { retention: logs.RetentionDays.INFINITE });
    expect(() => failing.synth()).toThrow(/SecureApi-LogRetention/);

    const acknowledged = new App();
    Validations.of(acknowledged).addPlugins(new SecureApiStandard());
    const group = new logs.LogGroup(new Stack(acknowledged, 'Team', { env: ENV }), 'Forever', { retention: logs.RetentionDays.INFINITE });
    Validations.of(group).acknowledge({ id: 'SecureApi-LogRetention', reason: 'Legal hold: kept until the case closes' });
    expect(() => acknowledged.synth()).not.toThrow();

    const qualified = new App();
    Validations.of(qualified).addPlugins(new SecureApiStandard());
    const team = new Stack(qualified, 'Team', { env: ENV });
    new logs.LogGroup(team, 'Forever', { retention: logs.RetentionDays.INFINITE });
    Validations.of(team).acknowledge({ id: 'SecureApiStandard::SecureApi-LogRetention', reason: 'Legal hold on every log of this stack' });
    expect(() => qualified.synth()).not.toThrow();
  });

  test('an aws-cdk-lib that hands plugins template paths only still gets every finding', () => {
    const app = new App();
    handWired(app);
    const templatePaths = app.synth().stacks.map((stack) => stack.templateFullPath);
    const report = new SecureApiStandard().validate({ templatePaths } as unknown as IPolicyValidationContext);
    expect(report.success).toBe(false);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual(STANDARD_RULES.map((rule) => rule.id));
  });

  test('throws when two rules share an id', () => {
    const rule = new SecureApiStandard().ruleIds[0]!;
    const rules = checkTemplates([], []);
    expect(rules).toEqual([]);
    expect(() => new SecureApiStandard({ rules: [...Array(2)].map(() => ({ id: rule, level: 'error' as const, description: '', explanation: '', fix: '', evaluate: () => [] })) })).toThrow(
      `SecureApiStandard: 'rules' must have distinct ids (received: '${rule}' twice)`,
    );
  });

  test('declarePublic refuses what is not a method, route or function URL, and a reason too short to say anything', () => {
    const stack = new Stack(new App(), 'S');
    const group = new logs.LogGroup(stack, 'Group');
    expect(() => declarePublic(group, 'a long enough reason')).toThrow(/'method' must be an API Gateway method or route, a Lambda function URL, or one of their resources .*received: S\/Group/);
    const rest = new apigw.RestApi(stack, 'Rest');
    const method = rest.root.addMethod('GET', new apigw.MockIntegration());
    expect(() => declarePublic(method, 'ok')).toThrow("declarePublic: 'reason' must say why the method is public, in at least 10 characters (received: 'ok')");
  });
});
