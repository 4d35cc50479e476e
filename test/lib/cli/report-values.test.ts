/** How the report shows template values: literals, references, joins and selections of a split value. */
import { references, renderValue } from '../../../lib/cli/report';

const STACK_UUID = { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] };

describe('renderValue', () => {
  test('literals, Ref, Fn::GetAtt, Fn::Join and Fn::Sub', () => {
    expect(renderValue('prod')).toBe('prod');
    expect(renderValue(30)).toBe('30');
    expect(renderValue({ Ref: 'Logs1234' })).toBe('${Logs1234}');
    expect(renderValue({ 'Fn::GetAtt': ['Fn1234', 'Arn'] })).toBe('${Fn1234.Arn}');
    expect(renderValue({ 'Fn::Join': ['', ['/aws/lambda/', { Ref: 'Fn1234' }]] })).toBe('/aws/lambda/${Fn1234}');
    expect(renderValue({ 'Fn::Sub': 'arn:${AWS::Partition}:logs' })).toBe('arn:${AWS::Partition}:logs');
  });

  test('the default WAF log group name shows the stack id UUID as a placeholder, not as JSON', () => {
    const name = { 'Fn::Join': ['', ['aws-waf-logs-Demo-Api-WebAcl-FD5DB3F9-', STACK_UUID]] };

    expect(renderValue(name)).toBe('aws-waf-logs-Demo-Api-WebAcl-FD5DB3F9-${stack id UUID}');
    expect(renderValue({ 'Fn::Select': ['2', { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] })).toBe('${stack id UUID}');
  });

  test('other selections name the part, the value and the separator; a literal list gives its item', () => {
    expect(renderValue({ 'Fn::Select': [1, { 'Fn::Split': [':', { 'Fn::GetAtt': ['Key1234', 'Arn'] }] }] })).toBe("${part 1 of ${Key1234.Arn} split at ':'}");
    expect(renderValue({ 'Fn::Select': [0, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] })).toBe("${part 0 of ${AWS::StackId} split at '/'}");
    expect(renderValue({ 'Fn::Select': [1, ['a', { Ref: 'Bucket1234' }]] })).toBe('${Bucket1234}');
  });

  test('what it cannot name stays JSON', () => {
    expect(renderValue({ 'Fn::Select': [5, ['a']] })).toBe('{"Fn::Select":[5,["a"]]}');
    expect(renderValue({ 'Fn::Select': [-1, ['a']] })).toBe('{"Fn::Select":[-1,["a"]]}');
    expect(renderValue({ 'Fn::Select': [{ Ref: 'Index' }, ['a']] })).toBe('{"Fn::Select":[{"Ref":"Index"},["a"]]}');
    expect(renderValue({ 'Fn::ImportValue': 'Shared' })).toBe('{"Fn::ImportValue":"Shared"}');
  });
});

describe('references', () => {
  test('finds logical ids in Ref, Fn::GetAtt and Fn::Sub, but not pseudo parameters', () => {
    expect([...references({ 'Fn::Join': ['', [{ Ref: 'A1' }, STACK_UUID, { 'Fn::GetAtt': ['B2', 'Arn'] }, { 'Fn::Sub': '${C3.Arn}-${D4}' }]] })]).toEqual([
      'A1',
      'B2',
      'C3',
      'D4',
    ]);
  });
});
