import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { securitySummary, stableTemplate, stackAssetHashes } from '../../lib/testing';
import { SCENARIOS } from './scenarios';

describe('snapshots', () => {
  // What reviewers read: routes x scopes, throttles, WAF rules, logs, IAM statements, one fact per line.
  test.each(SCENARIOS.map((scenario) => [scenario.name, scenario]))('%s: security summary', (_name, scenario) => {
    const { stack } = scenario.build();
    expect(securitySummary(stack)).toMatchSnapshot();
  });

  // The one whole-template snapshot, of the deployable demo: it catches what the summary leaves out.
  test('demo stack', () => {
    const { stack } = SCENARIOS[0]!.build();
    expect(stableTemplate(stack)).toMatchSnapshot();
  });

  test.each(SCENARIOS.map((scenario) => [scenario.name, scenario]))('%s builds the same template and asset hashes in two fresh output folders', (_name, scenario) => {
    const outdirs = [fs.mkdtempSync(path.join(os.tmpdir(), 'snap-a-')), fs.mkdtempSync(path.join(os.tmpdir(), 'snap-b-'))];
    try {
      // Two apps bound to two folders: the syntheses share nothing but the source.
      const builds = outdirs.map((outdir) => {
        const { stack } = scenario.build(new App({ outdir }));
        return { template: stableTemplate(stack), hashes: stackAssetHashes(stack), summary: securitySummary(stack) };
      });
      expect(builds[1]!.template).toEqual(builds[0]!.template);
      expect(builds[1]!.summary).toBe(builds[0]!.summary);
      expect(builds[1]!.hashes).toEqual(builds[0]!.hashes);
      // Every asset of our scenarios is a prebundled handler of this package, so nothing is masked.
      expect(builds[0]!.hashes.stable.length).toBeGreaterThan(0);
      expect(builds[0]!.hashes.unstable).toEqual([]);
    } finally {
      outdirs.forEach((outdir) => fs.rmSync(outdir, { recursive: true, force: true }));
    }
  });

  test('stableTemplate keeps this package\'s asset hashes and masks foreign ones', () => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'foreign-asset-'));
    try {
      fs.writeFileSync(path.join(scratch, 'data.txt'), `built at ${process.hrtime.bigint()}`);
      const { stack } = SCENARIOS[1]!.build();
      const foreign = new s3assets.Asset(stack, 'Foreign', { path: scratch });
      new CfnOutput(stack, 'ForeignKey', { value: foreign.s3ObjectKey });
      const hashes = stackAssetHashes(stack);
      const template = stableTemplate(stack) as { Outputs: Record<string, { Value: string }> };
      const text = JSON.stringify(template);

      expect(hashes.unstable).toEqual([foreign.assetHash]);
      expect(template.Outputs.ForeignKey!.Value).toBe('[ASSET HASH 1].zip');
      expect(text).not.toContain(foreign.assetHash);
      for (const hash of hashes.stable) {
        expect(text).toContain(hash);
      }
      const kept = stableTemplate(stack, { keepAssetHashes: [foreign.assetHash] }) as { Outputs: Record<string, { Value: string }> };
      expect(kept.Outputs.ForeignKey!.Value).toBe(`${foreign.assetHash}.zip`);
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });

  test('stableTemplate drops the CDK version metadata the CLI adds', () => {
    const app = new App({ analyticsReporting: true, context: { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true } });
    const stack = new Stack(app, 'Versioned', { env: { account: '123456789012', region: 'eu-west-1' } });
    new s3assets.Asset(stack, 'Asset', { path: path.join(__dirname, 'scenarios.ts') });
    const template = stableTemplate(stack) as { Resources: Record<string, { Type: string; Metadata?: unknown }>; Conditions?: unknown };
    expect(Object.values(template.Resources).map((resource) => resource.Type)).not.toContain('AWS::CDK::Metadata');
    expect(JSON.stringify(template)).not.toMatch(/aws:cdk:path|aws:asset:/);
  });
});
