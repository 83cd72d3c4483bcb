// The PrometheusRule's groups as Prometheus loads them: `promtool check rules`
// parses every expression and annotation template, and `promtool test rules`
// runs alerts.promtool-test.yaml's series through each alert.
import { expect } from 'chai';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { loadPrometheusRule, ruleFileOf, type PrometheusRule } from '../../support/monitoring-assets.js';
import { promtool, promtoolBinary } from '../../support/promtool.js';
import { repoPath } from '../../support/operator-repo.js';

const TEST_FILE = 'alerts.promtool-test.yaml';
/** tsc does not copy YAML into dist/, so the cases are read from the source tree. */
const TEST_SOURCE = repoPath('test', 'integration', 'monitoring', TEST_FILE);

interface RuleTests {
  rule_files: string[];
  tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
}

/** The same rules with no annotations: promtool test rules compares them verbatim, check rules parses them. */
function withoutAnnotations(rule: PrometheusRule): PrometheusRule {
  const groups = rule.spec.groups.map((group) => ({
    ...group,
    rules: group.rules.map(({ annotations: _annotations, ...rest }) => rest),
  }));
  return { ...rule, spec: { groups } };
}

describe('promtool on the alert rules', () => {
  const rule = loadPrometheusRule();
  const alertNames = rule.spec.groups.flatMap((g) => g.rules).map((r) => r.alert);
  let dir: string;

  before(() => {
    promtoolBinary(); // fail at once, with how to build it, when it is missing
    dir = mkdtempSync(join(tmpdir(), 'dcache-rules-'));
  });

  it('accepts every rule group (promtool check rules)', () => {
    const file = join(dir, 'alerts.check.yaml');
    writeFileSync(file, ruleFileOf(rule));
    const output = promtool('check', 'rules', file);
    expect(output).to.contain(`SUCCESS: ${alertNames.length} rules found`);
  });

  it('has a firing case for every alert', () => {
    const tests = yaml.load(readFileSync(TEST_SOURCE, 'utf8')) as RuleTests;
    expect(tests.rule_files).to.deep.equal(['alerts.rules.yaml']);
    const fired = new Set(tests.tests.flatMap((t) => t.alert_rule_test ?? []).filter((c) => c.exp_alerts.length > 0).map((c) => c.alertname));
    expect(alertNames.filter((name) => !fired.has(name ?? '')), 'alerts no case makes fire').to.deep.equal([]);
  });

  it('fires each alert on the series it is about, and not on healthy ones (promtool test rules)', () => {
    writeFileSync(join(dir, 'alerts.rules.yaml'), ruleFileOf(withoutAnnotations(rule)));
    copyFileSync(TEST_SOURCE, join(dir, TEST_FILE));
    expect(promtool('test', 'rules', join(dir, TEST_FILE))).to.contain('SUCCESS');
  });
});
