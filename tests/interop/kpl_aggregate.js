// kpl_aggregate.js - aggregates user records with aws-kinesis-agg (the independent implementation of the KPL's
// aggregated record format that tests/cli/test_kpl.sh checks shardlab against).
//   node tests/interop/kpl_aggregate.js IN.json [PER_AGGREGATE]
// IN.json: [{partitionKey, explicitHashKey (optional), data (base64)}, ...]. Prints to stdout a JSON list of the
// Kinesis records aws-kinesis-agg's RecordAggregator builds, [{partitionKey, explicitHashKey, data (base64)}],
// starting a new one after PER_AGGREGATE records (default: only when one is full, at 1 MiB).
'use strict';
const fs = require('fs');
const agg = require('aws-kinesis-agg');

const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const perAggregate = process.argv[3] ? parseInt(process.argv[3], 10) : Infinity;
const aggregator = new agg.RecordAggregator();
const out = [];
const emit = () => {
  const encoded = aggregator.build();
  out.push({ partitionKey: encoded.partitionKey, explicitHashKey: encoded.ExplicitHashKey,
             data: encoded.data.toString('base64') });
};
for (const r of input) {
  const record = { partitionKey: r.partitionKey, data: Buffer.from(r.data, 'base64') };
  if (r.explicitHashKey !== undefined) record.explicitHashKey = r.explicitHashKey;
  if (aggregator.length() >= perAggregate || !aggregator.checkIfUserRecordFits(record)) emit();
  aggregator.addUserRecord(record);
}
if (aggregator.length() > 0) emit();
process.stdout.write(JSON.stringify(out) + '\n');
