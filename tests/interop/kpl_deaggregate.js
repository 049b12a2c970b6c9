// kpl_deaggregate.js - de-aggregates Kinesis records with aws-kinesis-agg's deaggregateSync, checksums checked
// (the independent side of tests/cli/test_kpl.sh).
//   node tests/interop/kpl_deaggregate.js IN.json
// IN.json: [{partitionKey, data (base64), sequenceNumber}, ...], records as Lambda's event gives record.kinesis.
// Prints a JSON list with, for each record, the list of user records deaggregateSync gives, or {error: message}.
'use strict';
const fs = require('fs');
const agg = require('aws-kinesis-agg');

const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const out = input.map((record) => {
  let result;
  agg.deaggregateSync(record, true, (err, userRecords) => {
    result = err ? { error: String(err.message || err) } : userRecords;
  });
  return result;
});
process.stdout.write(JSON.stringify(out) + '\n');
