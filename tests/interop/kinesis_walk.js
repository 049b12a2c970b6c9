// kinesis_walk.js - the AWS SDK for JavaScript v3 (@aws-sdk/client-kinesis, pinned in package-lock.json) with
// its default configuration (no requestHandler: the SDK's NodeHttp2Handler, HTTP/2 with prior knowledge on an
// http:// endpoint) walking every operation of its model but SubscribeToShard (tests/interop/subscribe.js) and
// the channel ones, with its paginators and waiters, checking the results; tests/cli/test_http2.sh runs it.
//   node tests/interop/kinesis_walk.js PORT|ENDPOINT [ACCESS_KEY SECRET_KEY]
// PORT means http://127.0.0.1:PORT; an https:// ENDPOINT is reached over TLS with ALPN h2 (trust its CA with
// NODE_EXTRA_CA_CERTS). The keys default to x and x (any do without --auth). Exits 0 when every check passed, else prints each
// failure and exits 1. It also proves the calls went over HTTP/2: node's http2.connect is wrapped to count
// the sessions the SDK opens and the streams it sends on them, and http(s).request to count HTTP/1.1
// requests; every call must have been an HTTP/2 stream, none an HTTP/1.1 request. (The Kinesis client's
// default is disableConcurrentStreams: true, a session of its own for each call, so sessions equal calls;
// tests/cli/test_http2.sh checks many streams on one connection with curl.)
'use strict';
const http = require('node:http');
const https = require('node:https');
const http2 = require('node:http2');

const wire = { sessions: 0, streams: 0, http1: 0 };
const connect = http2.connect;
http2.connect = function (...args) {
  const session = connect.apply(this, args);
  wire.sessions++;
  const request = session.request;
  session.request = function (...rargs) {
    wire.streams++;
    return request.apply(this, rargs);
  };
  return session;
};
for (const mod of [http, https]) {
  const request = mod.request;
  mod.request = function (...args) {
    wire.http1++;
    return request.apply(this, args);
  };
}

// Loaded after the wrapping, as an application would load it.
const k = require('@aws-sdk/client-kinesis');

const where = process.argv[2];
const client = new k.KinesisClient({
  region: 'us-east-1',
  endpoint: /^[0-9]+$/.test(where) ? `http://127.0.0.1:${where}` : where,
  credentials: { accessKeyId: process.argv[3] || 'x', secretAccessKey: process.argv[4] || 'x' },
});
let calls = 0; /* every call the client sends: ours, its paginators' and its waiters' */
const clientSend = client.send.bind(client);
client.send = (...args) => {
  calls++;
  return clientSend(...args);
};
const send = (Command, input) => client.send(new Command(input));
const waiter = { client, maxWaitTime: 20, minDelay: 1, maxDelay: 1 };

let failures = 0;
const check = (ok, what) => {
  if (!ok) {
    failures++;
    console.error(`FAIL: ${what}`);
  }
};
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

const A = 'walk-a', B = 'walk-b';
const text = (bytes) => Buffer.from(bytes).toString('utf8');

// Every record of a shard from TRIM_HORIZON: their data as text, and the last GetRecords' answer.
async function readShard(stream, shardId) {
  const it = await send(k.GetShardIteratorCommand, { StreamName: stream, ShardId: shardId,
                                                    ShardIteratorType: 'TRIM_HORIZON' });
  let iterator = it.ShardIterator, last, data = [];
  for (let i = 0; i < 10 && iterator; i++) {
    last = await send(k.GetRecordsCommand, { ShardIterator: iterator });
    data = data.concat(last.Records.map((r) => text(r.Data)));
    if (last.Records.length === 0 && last.NextShardIterator) break; /* an open shard read to its end */
    iterator = last.NextShardIterator;
  }
  return { data, last };
}

async function streams() {
  await send(k.CreateStreamCommand, { StreamName: A, ShardCount: 2 });
  await send(k.CreateStreamCommand, { StreamName: B, ShardCount: 1 });
  const waited = await k.waitUntilStreamExists(waiter, { StreamName: A }); /* the SDK's waiter */
  check(waited.state === 'SUCCESS', `waitUntilStreamExists: ${JSON.stringify(waited)}`);
  const pages = [];
  for await (const page of k.paginateListStreams({ client, pageSize: 1 }, {})) pages.push(page.StreamNames);
  check(same(pages, [[A], [B]]), `paginateListStreams, a page of 1: ${JSON.stringify(pages)}`);
  const list = await send(k.ListStreamsCommand, {});
  check(same(list.StreamNames, [A, B]), `ListStreams: ${JSON.stringify(list.StreamNames)}`);
  const d = await send(k.DescribeStreamCommand, { StreamName: A });
  check(d.StreamDescription.StreamStatus === 'ACTIVE' && d.StreamDescription.Shards.length === 2,
        `DescribeStream: ${JSON.stringify(d.StreamDescription)}`);
  const s = await send(k.DescribeStreamSummaryCommand, { StreamName: A });
  check(s.StreamDescriptionSummary.OpenShardCount === 2, `DescribeStreamSummary: ${s.StreamDescriptionSummary.OpenShardCount}`);
  const shards = await send(k.ListShardsCommand, { StreamName: A });
  check(same(shards.Shards.map((x) => x.ShardId), ['shardId-000000000000', 'shardId-000000000001']),
        `ListShards: ${JSON.stringify(shards.Shards)}`);
  return d.StreamDescription.StreamARN;
}

// PutRecord (one, then 20 at once) and PutRecords, read back shard by shard.
async function records() {
  const put = [];
  const one = await send(k.PutRecordCommand, { StreamName: A, PartitionKey: 'k0', Data: Buffer.from('first') });
  check(/^shardId-00000000000[01]$/.test(one.ShardId) && /^[0-9]+$/.test(one.SequenceNumber), `PutRecord: ${JSON.stringify(one)}`);
  put.push('first');
  const many = [];
  for (let i = 0; i < 20; i++) {
    put.push(`concurrent-${i}`);
    many.push(send(k.PutRecordCommand, { StreamName: A, PartitionKey: `p${i}`, Data: Buffer.from(`concurrent-${i}`) }));
  }
  await Promise.all(many);
  const entries = [];
  for (let i = 0; i < 10; i++) {
    put.push(`batch-${i}`);
    entries.push({ PartitionKey: `b${i}`, Data: Buffer.from(`batch-${i}`) });
  }
  const batch = await send(k.PutRecordsCommand, { StreamName: A, Records: entries });
  check(batch.FailedRecordCount === 0 && batch.Records.length === 10, `PutRecords: ${JSON.stringify(batch)}`);
  const got = [];
  for (const shard of ['shardId-000000000000', 'shardId-000000000001']) got.push(...(await readShard(A, shard)).data);
  check(same(got.slice().sort(), put.slice().sort()), `the records read back: ${JSON.stringify(got)}`);
  const big = 'x'.repeat(600 * 1024); /* a body of several DATA frames and windows */
  await send(k.PutRecordCommand, { StreamName: B, PartitionKey: 'big', Data: Buffer.from(big) });
  const bigBack = await readShard(B, 'shardId-000000000000');
  check(bigBack.data.length === 1 && bigBack.data[0] === big, 'the 600 KiB record read back');
}

// SplitShard, then MergeShards of the two children; the parent read to its end names them.
async function reshard() {
  const d = await send(k.DescribeStreamCommand, { StreamName: A });
  const s0 = d.StreamDescription.Shards[0];
  const mid = ((BigInt(s0.HashKeyRange.StartingHashKey) + BigInt(s0.HashKeyRange.EndingHashKey)) / 2n).toString();
  await send(k.SplitShardCommand, { StreamName: A, ShardToSplit: s0.ShardId, NewStartingHashKey: mid });
  const after = (await send(k.ListShardsCommand, { StreamName: A })).Shards;
  const children = after.filter((x) => x.ParentShardId === s0.ShardId).map((x) => x.ShardId);
  check(same(children, ['shardId-000000000002', 'shardId-000000000003']), `SplitShard's children: ${JSON.stringify(after)}`);
  const parent = await readShard(A, s0.ShardId);
  const named = (parent.last.ChildShards || []).map((c) => c.ShardId);
  check(same(named, children) && !parent.last.NextShardIterator, `the split parent's end: ${JSON.stringify(parent.last)}`);
  await send(k.MergeShardsCommand, { StreamName: A, ShardToMerge: children[0], AdjacentShardToMerge: children[1] });
  const merged = (await send(k.ListShardsCommand, { StreamName: A })).Shards.find((x) => x.ShardId === 'shardId-000000000004');
  check(merged && merged.ParentShardId === children[0] && merged.AdjacentParentShardId === children[1],
        `MergeShards: ${JSON.stringify(merged)}`);
  const scaled = await send(k.UpdateShardCountCommand, { StreamName: B, TargetShardCount: 2, ScalingType: 'UNIFORM_SCALING' });
  check(scaled.CurrentShardCount === 1 && scaled.TargetShardCount === 2, `UpdateShardCount: ${JSON.stringify(scaled)}`);
}

async function settings(arn) {
  await send(k.IncreaseStreamRetentionPeriodCommand, { StreamName: A, RetentionPeriodHours: 48 });
  let s = await send(k.DescribeStreamSummaryCommand, { StreamName: A });
  check(s.StreamDescriptionSummary.RetentionPeriodHours === 48, 'IncreaseStreamRetentionPeriod');
  await send(k.DecreaseStreamRetentionPeriodCommand, { StreamName: A, RetentionPeriodHours: 24 });
  s = await send(k.DescribeStreamSummaryCommand, { StreamName: A });
  check(s.StreamDescriptionSummary.RetentionPeriodHours === 24, 'DecreaseStreamRetentionPeriod');
  await send(k.AddTagsToStreamCommand, { StreamName: A, Tags: { team: 'data', env: 'test' } });
  await send(k.RemoveTagsFromStreamCommand, { StreamName: A, TagKeys: ['env'] });
  const tags = await send(k.ListTagsForStreamCommand, { StreamName: A });
  check(same(tags.Tags, [{ Key: 'team', Value: 'data' }]), `tags: ${JSON.stringify(tags.Tags)}`);
  await send(k.UpdateStreamModeCommand, { StreamARN: arn, StreamModeDetails: { StreamMode: 'ON_DEMAND' } });
  s = await send(k.DescribeStreamSummaryCommand, { StreamName: A });
  check(s.StreamDescriptionSummary.StreamModeDetails.StreamMode === 'ON_DEMAND', 'UpdateStreamMode');
}

// The operations added since 2013, the fan-out consumers' included (their events: tests/interop/subscribe.js).
async function newer(arn) {
  const limits = await send(k.DescribeLimitsCommand, {});
  check(limits.ShardLimit > 0 && limits.OpenShardCount === 4 && limits.OnDemandStreamCount === 1,
        `DescribeLimits: ${JSON.stringify(limits)}`); /* A: 2 open after split and merge, on-demand; B: 2 */
  await send(k.StartStreamEncryptionCommand, { StreamName: A, EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' });
  let s = (await send(k.DescribeStreamSummaryCommand, { StreamName: A })).StreamDescriptionSummary;
  check(s.EncryptionType === 'KMS' && s.KeyId === 'alias/aws/kinesis', `StartStreamEncryption: ${JSON.stringify(s)}`);
  const put = await send(k.PutRecordCommand, { StreamName: A, PartitionKey: 'e', Data: Buffer.from('sealed') });
  check(put.EncryptionType === 'KMS', `a put to an encrypted stream: ${JSON.stringify(put)}`);
  await send(k.StopStreamEncryptionCommand, { StreamName: A, EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' });
  const on = await send(k.EnableEnhancedMonitoringCommand, { StreamName: A, ShardLevelMetrics: ['IncomingBytes'] });
  check(same(on.DesiredShardLevelMetrics, ['IncomingBytes']), `EnableEnhancedMonitoring: ${JSON.stringify(on)}`);
  const off = await send(k.DisableEnhancedMonitoringCommand, { StreamName: A, ShardLevelMetrics: ['IncomingBytes'] });
  check(same(off.DesiredShardLevelMetrics, []), `DisableEnhancedMonitoring: ${JSON.stringify(off)}`);
  await send(k.TagResourceCommand, { ResourceARN: arn, Tags: { owner: 'js' } });
  const tags = (await send(k.ListTagsForResourceCommand, { ResourceARN: arn })).Tags;
  check(tags.some((t) => t.Key === 'owner' && t.Value === 'js'), `TagResource: ${JSON.stringify(tags)}`);
  await send(k.UntagResourceCommand, { ResourceARN: arn, TagKeys: ['owner'] });
  const policy = '{"Version":"2012-10-17","Statement":[]}';
  await send(k.PutResourcePolicyCommand, { ResourceARN: arn, Policy: policy });
  check((await send(k.GetResourcePolicyCommand, { ResourceARN: arn })).Policy === policy, 'GetResourcePolicy');
  await send(k.DeleteResourcePolicyCommand, { ResourceARN: arn });
  const account = await send(k.DescribeAccountSettingsCommand, {});
  check(account.MinimumThroughputBillingCommitment.Status === 'DISABLED', `DescribeAccountSettings: ${JSON.stringify(account)}`);
  await send(k.UpdateMaxRecordSizeCommand, { StreamARN: arn, MaxRecordSizeInKiB: 2048 });
  s = (await send(k.DescribeStreamSummaryCommand, { StreamName: A })).StreamDescriptionSummary;
  check(s.MaxRecordSizeInKiB === 2048, `UpdateMaxRecordSize: ${s.MaxRecordSizeInKiB}`);
  await send(k.UpdateStreamWarmThroughputCommand, { StreamARN: arn, WarmThroughputMiBps: 10 });
  await send(k.UpdateStreamRecordDistributionStrategyCommand, { StreamARN: arn, RecordDistributionStrategy: 'AUTO' });
  const consumer = (await send(k.RegisterStreamConsumerCommand, { StreamARN: arn, ConsumerName: 'walker' })).Consumer;
  const listed = [];
  for await (const page of k.paginateListStreamConsumers({ client, pageSize: 1 }, { StreamARN: arn }))
    listed.push(...page.Consumers.map((c) => c.ConsumerARN));
  check(same(listed, [consumer.ConsumerARN]), `paginateListStreamConsumers: ${JSON.stringify(listed)}`);
  const d = await send(k.DescribeStreamConsumerCommand, { ConsumerARN: consumer.ConsumerARN });
  check(d.ConsumerDescription.StreamARN === arn, `DescribeStreamConsumer: ${JSON.stringify(d)}`);
  await send(k.DeregisterStreamConsumerCommand, { ConsumerARN: consumer.ConsumerARN });
  const shards = []; /* the model has no ListShards paginator: NextToken by hand, as its docs show */
  let page = await send(k.ListShardsCommand, { StreamName: A, MaxResults: 1 });
  shards.push(...page.Shards);
  while (page.NextToken) {
    page = await send(k.ListShardsCommand, { NextToken: page.NextToken, MaxResults: 1 });
    shards.push(...page.Shards);
  }
  check(shards.length === 5, `ListShards, a page of 1: ${shards.length} shards`);
}

async function errors() {
  try {
    await send(k.DescribeStreamCommand, { StreamName: 'missing' });
    check(false, 'DescribeStream of a missing stream succeeded');
  } catch (e) {
    check(e.name === 'ResourceNotFoundException' && e.$metadata.httpStatusCode === 400, `a missing stream: ${e.name}`);
  }
}

async function main() {
  const arn = await streams();
  await records();
  await reshard();
  await settings(arn);
  await newer(arn);
  await errors();
  await send(k.DeleteStreamCommand, { StreamName: A });
  await send(k.DeleteStreamCommand, { StreamName: B });
  const gone = await k.waitUntilStreamNotExists(waiter, { StreamName: B });
  check(gone.state === 'SUCCESS', `waitUntilStreamNotExists: ${JSON.stringify(gone)}`);
  const left = await send(k.ListStreamsCommand, {});
  check(left.StreamNames.length === 0, `ListStreams after DeleteStream: ${JSON.stringify(left.StreamNames)}`);
  check(wire.sessions >= 1 && wire.streams === calls && wire.http1 === 0,
        `the wire: ${wire.sessions} HTTP/2 session(s), ${wire.streams} stream(s) for ${calls} calls, ` +
        `${wire.http1} HTTP/1.1 request(s)`);
  client.destroy();
  console.log(`kinesis_walk: ${calls} calls, ${wire.streams} HTTP/2 streams on ${wire.sessions} sessions, ` +
              `${failures} failure(s)`);
  process.exit(failures ? 1 : 0);
}

main().catch((e) => {
  console.error(`FAIL: ${e.name}: ${e.message}`);
  process.exit(1);
});
