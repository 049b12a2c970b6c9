/* lua_kpl.h - sl.kpl: the KPL's aggregated records in handlers, producers and experiments (shardlab/kpl.h
 * underneath). deaggregate(record) gives the user records of a Kinesis event record shaped as aws-kinesis-agg's
 * deaggregateSync gives them; aggregate(records [, options]) packs user records as the KPL does. */
#ifndef SHARDLAB_LUA_KPL_H
#define SHARDLAB_LUA_KPL_H

#include <lua.h>

/* Pushes the table { deaggregate = ..., aggregate = ... } that becomes sl.kpl. */
int sl_lua_kpl_open(lua_State *L);

#endif
