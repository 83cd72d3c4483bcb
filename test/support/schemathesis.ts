// Runs schemathesis (hack/ensure-schemathesis.sh installs it into ~/.cache)
// against a live API, and reads its reports: its own verdicts from the JUnit
// report, and every request and answer from the NDJSON one, which the
// contract test checks further (stack traces, JSON errors).
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface SchemathesisOptions {
  baseUrl: string;
  /** Path of the spec on the API. */
  specPath: string;
  configFile: string;
  examplesPerOperation: number;
  seed: number;
  workers: number;
}

/** One request schemathesis sent and the answer it got. */
export interface Exchange {
  method: string;
  uri: string;
  status: number;
  contentType: string;
  body: string;
}

export interface SchemathesisRun {
  exitCode: number | null;
  exchanges: Exchange[];
  /** Each failed check, as "<operation>: <schemathesis's account, with a curl line to reproduce it>". */
  failures: string[];
  /** Where its console output and reports are kept. */
  reportDir: string;
}

/** The schemathesis executable, installed first when it is missing. */
async function schemathesisBin(): Promise<string> {
  const { stdout } = await promisify(execFile)(join(REPO, 'hack/ensure-schemathesis.sh'), { timeout: 300_000 });
  return stdout.trim().split('\n').pop() as string;
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const unescapeXml = (text: string): string =>
  text.replace(/&(#x?[0-9a-f]+|\w+);/gi, (entity, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    return XML_ENTITIES[name] ?? entity;
  });

/** Failures and errors from the JUnit report, each named by its test case. */
export function junitFailures(xml: string): string[] {
  const found: string[] = [];
  for (const testcase of xml.matchAll(/<testcase name="([^"]*)"[^>]*>([\s\S]*?)<\/testcase>/g)) {
    for (const problem of (testcase[2] as string).matchAll(/<(failure|error)\b[^>]*>([\s\S]*?)<\/\1>/g)) {
      // One element holds every failing case of the operation, each starting "N. Test Case ID: …".
      for (const failingCase of unescapeXml(problem[2] as string).split(/^(?=\d+\. Test Case ID)/m)) {
        if (failingCase.trim()) found.push(`${unescapeXml(testcase[1] as string)}: ${failingCase.trim()}`);
      }
    }
  }
  return found;
}

interface RecordedInteraction {
  request: { method: string; uri: string };
  response: { status_code: number; headers: Record<string, string[]>; content?: { $base64?: string } } | null;
}

/** Every answered request in the NDJSON report (its ScenarioFinished events record them). */
export function ndjsonExchanges(ndjson: string): Exchange[] {
  const exchanges: Exchange[] = [];
  for (const line of ndjson.split('\n')) {
    if (!line.startsWith('{"ScenarioFinished"')) continue;
    // A skipped scenario records no interactions.
    const event = JSON.parse(line) as { ScenarioFinished: { recorder: { interactions?: Record<string, RecordedInteraction> } } };
    for (const { request, response } of Object.values(event.ScenarioFinished.recorder.interactions ?? {})) {
      if (!response) continue;
      exchanges.push({
        method: request.method,
        uri: request.uri,
        status: response.status_code,
        contentType: response.headers['content-type']?.[0] ?? '',
        body: Buffer.from(response.content?.$base64 ?? '', 'base64').toString('utf8'),
      });
    }
  }
  return exchanges;
}

function reportFile(dir: string, prefix: string): string {
  const name = readdirSync(dir).find((file) => file.startsWith(prefix));
  if (!name) throw new Error(`schemathesis wrote no ${prefix} report; see ${join(dir, 'output.txt')}`);
  return join(dir, name);
}

export async function runSchemathesis(options: SchemathesisOptions): Promise<SchemathesisRun> {
  const bin = await schemathesisBin();
  const reportDir = mkdtempSync(join(tmpdir(), 'dcache-schemathesis-'));
  const output = openSync(join(reportDir, 'output.txt'), 'w');
  const args = [
    '--config-file', options.configFile, 'run', `${options.baseUrl}${options.specPath}`, '--url', options.baseUrl,
    '--max-examples', String(options.examplesPerOperation), '--seed', String(options.seed), '--workers', String(options.workers),
    // A fresh run each time: no examples replayed from a database of earlier runs.
    '--generation-database', 'none', '--no-color',
    '--report', 'junit,ndjson', '--report-dir', reportDir,
  ];
  const exitCode = await new Promise<number | null>((done, fail) => {
    // In the report directory: schemathesis keeps a cache (.schemathesis/) in its working directory.
    const child = spawn(bin, args, { cwd: reportDir, stdio: ['ignore', output, output] });
    child.once('error', fail);
    child.once('exit', (code) => done(code));
  });
  return {
    exitCode,
    exchanges: ndjsonExchanges(readFileSync(reportFile(reportDir, 'ndjson'), 'utf8')),
    failures: junitFailures(readFileSync(reportFile(reportDir, 'junit'), 'utf8')),
    reportDir,
  };
}
