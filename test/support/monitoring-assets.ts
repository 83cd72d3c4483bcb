// The monitoring assets as files on disk: the Grafana dashboard and the
// PrometheusRule, read and walked the way Grafana and the Prometheus Operator do.
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { labelValuesSelector } from './promql-names.js';
import { repoPath } from './operator-repo.js';

export const DASHBOARD_FILE = repoPath('dashboards', 'distributed-cache.json');
export const ALERTS_FILE = repoPath('manifests', 'monitoring', 'alerts.yaml');

export interface DashboardTarget {
  expr?: string;
  legendFormat?: string;
  datasource?: { type?: string; uid?: string };
}

export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: DashboardTarget[];
  panels?: DashboardPanel[];
}

export interface DashboardVariable {
  name: string;
  type: string;
  query?: string | { query?: string };
  datasource?: { type?: string; uid?: string };
  includeAll?: boolean;
  allValue?: string;
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: DashboardPanel[];
  templating: { list: DashboardVariable[] };
}

export function loadDashboard(file = DASHBOARD_FILE): Dashboard {
  return JSON.parse(readFileSync(file, 'utf8')) as Dashboard;
}

/** Every panel, rows' collapsed children included. */
export function allPanels(dashboard: Dashboard): DashboardPanel[] {
  return dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}

/** Every PromQL query the dashboard sends, with where it comes from. */
export function dashboardQueries(dashboard: Dashboard): Array<{ where: string; expr: string }> {
  const queries: Array<{ where: string; expr: string }> = [];
  for (const panel of allPanels(dashboard)) {
    for (const target of panel.targets ?? []) {
      if (target.expr !== undefined) queries.push({ where: `panel "${panel.title}"`, expr: target.expr });
    }
  }
  for (const variable of dashboard.templating.list) {
    if (variable.type !== 'query') continue;
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query ?? '';
    // label_values(selector, label) queries the selector; label_values(label) no metric at all.
    const expr = /^\s*label_values\(/.test(query) ? labelValuesSelector(query) : query;
    if (expr !== undefined) queries.push({ where: `variable $${variable.name}`, expr });
  }
  return queries;
}

export interface AlertRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface PrometheusRule {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec: { groups: Array<{ name: string; interval?: string; rules: AlertRule[] }> };
}

export function loadPrometheusRule(file = ALERTS_FILE): PrometheusRule {
  return yaml.load(readFileSync(file, 'utf8')) as PrometheusRule;
}

/** The rule groups in the plain Prometheus rule-file format that promtool checks. */
export function ruleFileOf(rule: PrometheusRule): string {
  return yaml.dump({ groups: rule.spec.groups }, { lineWidth: -1 });
}
