// make_fixture.js - writes the known vector of tests/unit/test_kpl.c: user records aggregated by aws-kinesis-agg.
//   node tests/interop/make_fixture.js    (from the source root, after npm ci --prefix tests/interop)
// tests/data/kpl/node_aggregate.json holds the user records (data in base64) and the Kinesis record
// RecordAggregator made of them; tests/data/kpl/node_aggregate.bin holds that record's data, raw.
'use strict';
const fs = require('fs');
const path = require('path');
const agg = require('aws-kinesis-agg');

// Repeated keys (stored once in the table), explicit hash keys on some records only, a key that is not ASCII,
// binary data, an empty record and one over 127 bytes (a two-byte length). No key is a small decimal ("0",
// "7"): aws-kinesis-agg builds its key tables with Object.keys, which puts such keys (array indexes to
// JavaScript) first, out of the order its records' indexes assume, so its records would point at wrong keys.
const records = [
  { partitionKey: 'device-1', data: Buffer.from('{"temperature": 21.5}') },
  { partitionKey: 'device-2', explicitHashKey: '170141183460469231731687303715884105728', data: Buffer.from([0, 1, 2, 255]) },
  { partitionKey: 'device-1', data: Buffer.from('second from device-1') },
  { partitionKey: 'capteur-é', data: Buffer.alloc(0) },
  { partitionKey: 'device-3', explicitHashKey: '340282366920938463463374607431768211455', data: Buffer.alloc(300, 'x') },
  { partitionKey: 'device-2', explicitHashKey: '170141183460469231731687303715884105728', data: Buffer.from('again') },
];
const aggregator = new agg.RecordAggregator();
for (const r of records) aggregator.addUserRecord(Object.assign({}, r));
const encoded = aggregator.build();
const dir = path.join(__dirname, '..', 'data', 'kpl');
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(dir, 'node_aggregate.bin'), encoded.data);
const version = require('aws-kinesis-agg/package.json').version;
fs.writeFileSync(path.join(dir, 'node_aggregate.json'), JSON.stringify({
  generated_by: `node tests/interop/make_fixture.js (aws-kinesis-agg ${version})`,
  records: records.map((r) => ({ partitionKey: r.partitionKey, explicitHashKey: r.explicitHashKey,
                                 data: r.data.toString('base64') })),
  aggregate: { partitionKey: encoded.partitionKey, explicitHashKey: encoded.ExplicitHashKey,
               data: encoded.data.toString('base64') },
}, null, 2) + '\n');
