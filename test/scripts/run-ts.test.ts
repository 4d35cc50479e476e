/**
 * scripts/run-ts.cjs, the TypeScript runner of `cdk synth`: it runs a .ts entry point, keeps transpiled files
 * by content, and a run that adds an entry removes those no run has used for a week.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const RUNNER = path.join(__dirname, '..', '..', 'scripts', 'run-ts.cjs');
const WEEK_AND_A_DAY_S = 8 * 24 * 3600;

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'run-ts-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(entry: string, cache: string): string {
  return execFileSync(process.execPath, [RUNNER, entry, 'arg'], { env: { ...process.env, SECURE_API_RUN_TS_CACHE: cache }, encoding: 'utf8' });
}

function age(file: string, seconds: number): void {
  const then = Date.now() / 1000 - seconds;
  fs.utimesSync(file, then, then);
}

test('runs a TypeScript entry with its arguments, and a second run reads the cache', () => {
  const cache = path.join(dir, 'cache');
  const entry = path.join(dir, 'entry.ts');
  fs.writeFileSync(entry, "const answer: number = 42;\nprocess.stdout.write(`${answer} ${process.argv.slice(2).join(' ')}`);\n");
  expect(run(entry, cache)).toBe('42 arg');
  const [cached] = fs.readdirSync(cache);
  // A hit does not write again: the entry keeps the age it was given.
  age(path.join(cache, cached!), 3600);
  const before = fs.statSync(path.join(cache, cached!)).mtimeMs;
  expect(run(entry, cache)).toBe('42 arg');
  expect(fs.readdirSync(cache)).toEqual([cached]);
  expect(fs.statSync(path.join(cache, cached!)).mtimeMs).toBe(before);
});

test('a run that adds an entry removes entries unused for a week; entries it used, or younger ones, stay', () => {
  const cache = path.join(dir, 'cache');
  const used = path.join(dir, 'used.ts');
  fs.writeFileSync(used, 'export const used: string = "used";\n');
  const entry = path.join(dir, 'entry.ts');
  fs.writeFileSync(entry, "import { used } from './used';\nprocess.stdout.write(used);\n");
  run(entry, cache);
  const first = fs.readdirSync(cache).sort();
  expect(first).toHaveLength(2);
  fs.writeFileSync(path.join(cache, 'stale.js'), '');
  fs.writeFileSync(path.join(cache, 'recent.js'), '');
  for (const name of [...first, 'stale.js']) {
    age(path.join(cache, name), WEEK_AND_A_DAY_S);
  }
  age(path.join(cache, 'recent.js'), 3600);

  // The edit adds an entry for entry.ts; used.ts is read from the cache, and marked as used.
  fs.writeFileSync(entry, "import { used } from './used';\nprocess.stdout.write(used + '!');\n");
  expect(run(entry, cache)).toBe('used!');
  const after = fs.readdirSync(cache).sort();
  expect(after).not.toContain('stale.js');
  expect(after).toContain('recent.js');
  const usedEntry = first.find((name) => after.includes(name));
  expect(usedEntry).toBeDefined();
  expect(Date.now() - fs.statSync(path.join(cache, usedEntry!)).mtimeMs).toBeLessThan(3600_000);
  // The old entry.ts entry was not used by this run and was a week old: gone.
  expect(after).toHaveLength(3);
});
