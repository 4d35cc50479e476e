/** The probe's results for people (a table, Markdown) and for CI systems (JUnit XML). */
import type { ProbeResult } from './run';

const routeOf = (result: ProbeResult): string => `${result.case.route.method} ${result.case.route.path}`;

/** Counts by outcome. */
export function probeSummary(results: readonly ProbeResult[]): { pass: number; fail: number; skipped: number } {
  return {
    pass: results.filter((result) => result.outcome === 'pass').length,
    fail: results.filter((result) => result.outcome === 'fail').length,
    skipped: results.filter((result) => result.outcome === 'skipped').length,
  };
}

/** A plain-text table: one line per case, failures first. */
export function renderProbeTable(results: readonly ProbeResult[]): string {
  const ordered = [...results].sort((a, b) => Number(b.outcome === 'fail') - Number(a.outcome === 'fail'));
  const lines = ordered.map((result) => `${result.outcome.toUpperCase().padEnd(7)} ${String(result.status ?? '-').padEnd(4)} ${routeOf(result).padEnd(32)} ${result.case.name}${result.problem ? `: ${result.problem}` : ''}`);
  const { pass, fail, skipped } = probeSummary(results);
  return `${lines.join('\n')}\n${pass} passed, ${fail} failed, ${skipped} skipped\n`;
}

/** A Markdown report: the summary, then one table row per case. */
export function renderProbeMarkdown(results: readonly ProbeResult[], apiUrl: string): string {
  const { pass, fail, skipped } = probeSummary(results);
  const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  const rows = results.map((result) => `| ${result.outcome} | ${cell(routeOf(result))} | ${cell(result.case.name)} | ${cell(result.case.description)} | ${result.status ?? '—'} | ${cell(result.problem ?? '—')} |`);
  return [`# Security probe of ${apiUrl}`, '', `${pass} passed, ${fail} failed, ${skipped} skipped.`, '', '| Outcome | Route | Case | What it sends | Status | Problem |', '|---|---|---|---|---|---|', ...rows, ''].join('\n');
}

const xml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

/** JUnit XML: one test suite per probe suite, one test case per case, named by route and case. */
export function renderProbeJUnit(results: readonly ProbeResult[]): string {
  const suites = new Map<string, ProbeResult[]>();
  for (const result of results) {
    suites.set(result.case.suite, [...(suites.get(result.case.suite) ?? []), result]);
  }
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', '<testsuites name="secure-api probe">'];
  for (const [suite, members] of suites) {
    const { fail, skipped } = probeSummary(members);
    out.push(`  <testsuite name="${xml(suite)}" tests="${members.length}" failures="${fail}" skipped="${skipped}">`);
    for (const result of members) {
      out.push(`    <testcase classname="${xml(routeOf(result))}" name="${xml(result.case.name)}">`);
      if (result.outcome === 'fail') out.push(`      <failure message="${xml(result.problem ?? 'failed')}">${xml(result.case.description)}</failure>`);
      if (result.outcome === 'skipped') out.push(`      <skipped message="${xml(result.problem ?? 'skipped')}"/>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}
