/* shardlab.h - the umbrella header of libshardlab: includes every public header of include/shardlab/, so a
 * program that links shardlab (pkg-config --cflags --libs shardlab) needs only #include <shardlab/shardlab.h>.
 * The core (libshardlab) implements all of them but env.h, whose Lua execution environments live in
 * libshardlab_lua. Each header says what it provides; tests/install/check_install.sh fails when a header of
 * include/shardlab/ is missing here. */
#ifndef SHARDLAB_SHARDLAB_H
#define SHARDLAB_SHARDLAB_H

#include "shardlab/api.h"
#include "shardlab/arn.h"
#include "shardlab/base64.h"
#include "shardlab/checkpoint.h"
#include "shardlab/clock.h"
#include "shardlab/crc32c.h"
#include "shardlab/destination.h"
#include "shardlab/env.h"
#include "shardlab/error.h"
#include "shardlab/esm.h"
#include "shardlab/event.h"
#include "shardlab/filter.h"
#include "shardlab/hashkey.h"
#include "shardlab/kpl.h"
#include "shardlab/lanes.h"
#include "shardlab/metrics.h"
#include "shardlab/real.h"
#include "shardlab/seqnum.h"
#include "shardlab/shard_log.h"
#include "shardlab/sim.h"
#include "shardlab/store.h"
#include "shardlab/stream.h"

#endif
