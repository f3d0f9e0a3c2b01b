// `make bench`: every benchmark in one run. Each line prints our ops/s, a baseline measured in
// the same run, and the ratio. Numbers vary by machine; ratios are what to compare.
// `node dist/bench/run.js evaluation replica-evaluation` runs only the sections named.
import { runCodecBench } from './codec';
import { runConditionalWriteBench } from './conditional-writes';
import { runEvaluationBench } from './evaluation';
import { runHistoryBench } from './history';
import { runOpenFeatureBench } from './openfeature';
import { runRpcBench } from './rpc';
import { runReplicaEvaluationBench, runReplicaFeedBench } from './replica';

const SECTIONS = new Map<string, () => unknown>([
  ['evaluation', runEvaluationBench],
  ['codec', runCodecBench],
  ['rpc', runRpcBench],
  ['conditional-writes', runConditionalWriteBench],
  ['replica-evaluation', runReplicaEvaluationBench],
  ['replica-feed', runReplicaFeedBench],
  ['openfeature', runOpenFeatureBench],
  ['history', runHistoryBench],
]);

async function main(names: string[]): Promise<void> {
  const unknown = names.filter((name) => !SECTIONS.has(name));
  if (unknown.length > 0) {
    throw new Error(`unknown bench section ${unknown.join(', ')}: the sections are ${[...SECTIONS.keys()].join(', ')}`);
  }
  console.log(`node ${process.version}, ${new Date().toISOString()}`);
  for (const [name, run] of SECTIONS) if (names.length === 0 || names.includes(name)) await run();
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
