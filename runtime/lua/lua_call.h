/* lua_call.h - the one protected call through which the Lua layer runs user code (a handler, an experiment
 * file, a library script): its message handler adds the traceback, so a user sees where their script failed
 * (STYLE: "call user code only through one protected-call helper"). For the files of runtime/lua and the
 * Lua layer's own tests; defined in env_state.c. */
#ifndef SHARDLAB_LUA_CALL_H
#define SHARDLAB_LUA_CALL_H

#include <lua.h>

/* Calls the function below nargs arguments on the stack in protected mode with a traceback handler.
 * Returns the lua_pcall status; on error the message (with traceback) is on the stack. */
int sl_env_pcall(lua_State *L, int nargs, int nresults);

#endif
