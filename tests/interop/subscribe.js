// subscribe.js - enhanced fan-out through the AWS SDK for JavaScript v3 (@aws-sdk/client-kinesis, pinned in
// package-lock.json) with its default configuration (HTTP/2 with prior knowledge), against `shardlab serve`:
// a registered consumer's SubscribeToShard reads records as they are put, in order, with their data and
// sequence numbers; when the shard is split meanwhile its last event carries ChildShards and the stream of
// events ends; subscriptions to the children read what was put after the split. tests/cli/test_subscribe.sh
// runs it.   node tests/interop/subscribe.js PORT
'use strict';
const k = require('@aws-sdk/client-kinesis');

const client = new k.KinesisClient({
  region: 'us-east-1',
  endpoint: `http://127.0.0.1:${process.argv[2]}`,
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
});
const send = (Command, input) => client.send(new Command(input));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let failures = 0;
const check = (ok, what) => {
  if (!ok) {
    failures++;
    console.error(`FAIL: ${what}`);
  }
};
const text = (b) => Buffer.from(b).toString();

// Reads a subscription's events until `until` says stop (or the stream ends); returns them.
async function read(consumerARN, shardId, position, until) {
  const out = await send(k.SubscribeToShardCommand, { ConsumerARN: consumerARN, ShardId: shardId,
                                                      StartingPosition: position });
  const events = [];
  for await (const item of out.EventStream) {
    if (!item.SubscribeToShardEvent) throw new Error(`unexpected event ${JSON.stringify(item)}`);
    events.push(item.SubscribeToShardEvent);
    if (until(events)) break;
  }
  return events;
}

async function active(name) { // CREATING, then UPDATING after a split, for the server's --*-stream-ms
  for (let i = 0; i < 100; i++) {
    const d = await send(k.DescribeStreamSummaryCommand, { StreamName: name });
    if (d.StreamDescriptionSummary.StreamStatus === 'ACTIVE') return;
    await sleep(50);
  }
  throw new Error(`${name} never became ACTIVE`);
}

async function main() {
  await send(k.CreateStreamCommand, { StreamName: 'fan', ShardCount: 1 });
  await active('fan');
  const arn = (await send(k.DescribeStreamSummaryCommand, { StreamName: 'fan' })).StreamDescriptionSummary.StreamARN;
  const consumer = (await send(k.RegisterStreamConsumerCommand, { StreamARN: arn, ConsumerName: 'js' })).Consumer;
  check(/\/consumer\/js:\d+$/.test(consumer.ConsumerARN), `consumer ARN ${consumer.ConsumerARN}`);
  for (let i = 0; i < 40; i++) { // CREATING for the server's --create-stream-ms
    const d = await send(k.DescribeStreamConsumerCommand, { ConsumerARN: consumer.ConsumerARN });
    if (d.ConsumerDescription.ConsumerStatus === 'ACTIVE') break;
    await sleep(50);
  }
  const put = async (key, data) =>
    (await send(k.PutRecordCommand, { StreamName: 'fan', PartitionKey: key, Data: Buffer.from(data) })).SequenceNumber;
  const before = [];
  for (let i = 0; i < 5; i++) before.push([`r${i}`, await put(`k${i % 2}`, `r${i}`)]);
  // Records put while subscribed arrive too; then a split ends the parent's subscription with ChildShards.
  const later = (async () => {
    await sleep(300);
    const seqs = [];
    for (let i = 5; i < 10; i++) seqs.push([`r${i}`, await put(`k${i % 2}`, `r${i}`)]);
    await sleep(300);
    await send(k.SplitShardCommand, { StreamName: 'fan', ShardToSplit: 'shardId-000000000000',
                                      NewStartingHashKey: '170141183460469231731687303715884105728' });
    return seqs;
  })();
  const events = await read(consumer.ConsumerARN, 'shardId-000000000000', { Type: 'TRIM_HORIZON' },
                            (ev) => ev[ev.length - 1].ChildShards !== undefined);
  const written = before.concat(await later);
  const got = events.flatMap((e) => e.Records.map((r) => [text(r.Data), r.SequenceNumber]));
  check(JSON.stringify(got) === JSON.stringify(written), `records of the parent: ${JSON.stringify(got)}`);
  const last = events[events.length - 1];
  check(last.ChildShards && last.ChildShards.map((c) => c.ShardId).join() === 'shardId-000000000001,shardId-000000000002',
        `ChildShards ${JSON.stringify(last.ChildShards)}`);
  check(last.ContinuationSequenceNumber === written[written.length - 1][1], 'ContinuationSequenceNumber');
  check(events.every((e) => e.MillisBehindLatest >= 0), 'MillisBehindLatest');
  // The children: what is put after the split, each on the child its hash key routes it to.
  await active('fan');
  const after = [];
  for (let i = 10; i < 16; i++) after.push([`r${i}`, await put(`key-${i}`, `r${i}`)]);
  const children = [];
  for (const child of ['shardId-000000000001', 'shardId-000000000002']) {
    const ev = await read(consumer.ConsumerARN, child, { Type: 'TRIM_HORIZON' },
                          (e) => e.some((x) => x.Records.length > 0) || e.length > 3);
    children.push(...ev.flatMap((e) => e.Records.map((r) => [text(r.Data), r.SequenceNumber])));
  }
  const sorted = (a) => a.map((x) => x.join()).sort().join(';');
  check(sorted(children) === sorted(after), `records of the children: ${JSON.stringify(children)}`);
  // A second subscription of the same consumer and shard within 5 s is refused.
  let refused = '';
  try {
    await read(consumer.ConsumerARN, 'shardId-000000000001', { Type: 'LATEST' }, () => true);
  } catch (e) {
    refused = e.name;
  }
  check(refused === 'ResourceInUseException', `second subscription within 5 s: ${refused}`);
  if (failures === 0) console.log(`subscribe: ${written.length} records through the parent, ${after.length} through its children`);
  client.destroy();
  process.exit(failures === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(`FAIL: ${e.stack || e}`);
  process.exit(1);
});
