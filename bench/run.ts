// `make bench`: every benchmark in one run. Each line prints our ops/s, a baseline measured in
// the same run, and the ratio. Numbers vary by machine; ratios are what to compare.
import { runCodecBench } from './codec';
import { runConditionalWriteBench } from './conditional-writes';
import { runEvaluationBench } from './evaluation';
import { runHistoryBench } from './history';
import { runOpenFeatureBench } from './openfeature';
import { runRpcBench } from './rpc';
import { runReplicaBench } from './replica';

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${new Date().toISOString()}`);
  await runEvaluationBench();
  runCodecBench();
  await runRpcBench();
  await runConditionalWriteBench();
  await runReplicaBench();
  await runOpenFeatureBench();
  await runHistoryBench();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
