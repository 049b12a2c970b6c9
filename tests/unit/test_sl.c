/* test_sl.c - the sl module: md5 and hash_key against values computed with python3 hashlib, shard ranges,
 * base64, the host's clock and log, seeded random numbers (same seed, same numbers; ranges respected), and the
 * key strategies of scripts/shardlab/keys.lua (balanced keys really land on every shard). */
#include "test_lua_support.h"

#include "lua/lua_sl.h"

typedef struct fake_host_s {
  sl_lua_host_t host;
  sl_rng_t rng;
  double now;
  char last_log[256];
} fake_host_t;

static double fake_now(void *self) { return ((fake_host_t *)self)->now; }
static int fake_sleep(lua_State *L, void *self, double s) {
  (void)L;
  ((fake_host_t *)self)->now += s;
  return 0;
}
static void fake_log(void *self, const char *line, size_t len) {
  fake_host_t *h = self;
  snprintf(h->last_log, sizeof h->last_log, "%.*s", (int)len, line);
}

static lua_State *sl_state(fake_host_t *h, uint64_t seed) {
  memset(h, 0, sizeof *h);
  sl_rng_seed(&h->rng, seed);
  h->host = (sl_lua_host_t){fake_now, fake_sleep, NULL, fake_log, &h->rng, h};
  h->now = 1700000000.5;
  lua_State *L = test_lua();
  sl_lua_set_host(L, &h->host);
  sl_lua_install(L);
  test_run(L, "package.path = '" SHARDLAB_SOURCE_SCRIPTS "/?.lua' sl = require('shardlab')");
  return L;
}

static void hashing(void **state) {
  (void)state;
  fake_host_t h;
  lua_State *L = sl_state(&h, 1);
  /* python3 -c 'import hashlib; h = hashlib.md5(b"user-42").hexdigest(); print(h, int(h, 16))' */
  test_run(L, "assert(sl.md5('a') == '0cc175b9c0f1b6a831c399e269772661')\n"
              "assert(sl.md5('user-42') == '7631bc07a1cc8fcd56e70fc6b2fb4a43')\n"
              "assert(sl.hash_key('a') == '16955237001963240173058271559858726497')\n"
              "assert(sl.hash_key('user-42') == '157107139746365290205026809710278036035')\n"
              "local s, e = sl.shard_range(3, 1)\n"
              "assert(s == '113427455640312821154458202477256070485' and e == '226854911280625642308916404954512140969')\n"
              "assert(sl.base64.decode(sl.base64.encode('\\0\\1\\255')) == '\\0\\1\\255')\n"
              "assert(not pcall(sl.base64.decode, 'Zg='))\n");
  lua_close(L);
}

static void clock_and_log(void **state) {
  (void)state;
  fake_host_t h;
  lua_State *L = sl_state(&h, 1);
  test_run(L, "local t = sl.now() sl.sleep(2.25) assert(sl.now() == t + 2.25)\n"
              "assert(not pcall(sl.sleep, -1))\n"
              "sl.log('a', 1, true) ");
  assert_string_equal(h.last_log, "a\t1\ttrue");
  test_run(L, "print('via print', nil)");
  assert_string_equal(h.last_log, "via print\tnil");
  lua_close(L);
}

static void seeded_random(void **state) {
  (void)state;
  char first[2][512];
  for (int run = 0; run < 2; run++) {
    fake_host_t h;
    lua_State *L = sl_state(&h, 42);
    test_run(L, "local out = {}\n"
                "for i = 1, 20 do out[#out + 1] = sl.random.int(1, 6) end\n"
                "for i = 1, 5 do out[#out + 1] = string.format('%.6f', sl.random.float()) end\n"
                "for i = 1, 10000 do local v = sl.random.int(-3, 3) assert(v >= -3 and v <= 3) end\n"
                "for i = 1, 10000 do local f = sl.random.float() assert(f >= 0 and f < 1) end\n"
                "assert(not pcall(sl.random.int, 5, 1))\n"
                "return table.concat(out, ',')");
    snprintf(first[run], sizeof first[run], "%s", lua_tostring(L, -1));
    lua_close(L);
  }
  assert_string_equal(first[0], first[1]);
  fake_host_t h;
  lua_State *L = sl_state(&h, 43);
  test_run(L, "local out = {} for i = 1, 20 do out[#out + 1] = sl.random.int(1, 6) end\n"
              "for i = 1, 5 do out[#out + 1] = string.format('%.6f', sl.random.float()) end return table.concat(out, ',')");
  assert_string_not_equal(lua_tostring(L, -1), first[0]); /* another seed, other numbers */
  lua_close(L);
}

static void key_strategies(void **state) {
  (void)state;
  fake_host_t h;
  lua_State *L = sl_state(&h, 7);
  test_run(L,
           "local k = sl.keys\n"
           "assert(k.constant('x')(1) == 'x' and k.constant('x')(99) == 'x')\n"
           "local e = k.per_entity('server', 3)\n"
           "assert(e(1) == 'server-1' and e(3) == 'server-3' and e(4) == 'server-1')\n"
           "local c = k.choice{'a', 'b'} local seen = {} for i = 1, 200 do seen[c(i)] = true end\n"
           "assert(seen.a and seen.b)\n"
           "local r = k.random() assert(#r(1) == 32 and r(1) ~= r(2))\n"
           "local s = k.salted('hot', 4) local salts = {} for i = 1, 400 do salts[s(i)] = true end\n"
           "assert(salts['hot#0'] and salts['hot#3'] and not salts['hot#4'])\n"
           /* balanced: the explicit hash key is the start of shard (i-1) % n of an even split */
           "local b = k.balanced(4)\n"
           "for i = 1, 8 do local key, ehk = b(i) assert(ehk == (sl.shard_range(4, (i - 1) % 4)), ehk) end\n"
           "local z = k.zipf('item', 100, 1.2) local counts = {}\n"
           "for i = 1, 20000 do local x = z(i) counts[x] = (counts[x] or 0) + 1 end\n"
           "assert(counts['item-1'] > 5 * (counts['item-10'] or 0), 'zipf is not skewed')\n"
           "assert(not pcall(k.per_entity, 'p', 0))\n"
           "assert(not pcall(k.constant, ''))\n");
  /* Route the balanced keys' explicit hash keys through a real 4-shard stream: shards 0, 1, 2, 3, 0, ... */
  test_run(L, "local b, out = sl.keys.balanced(4), {} for i = 1, 8 do local _, ehk = b(i) out[i] = ehk end "
              "return table.unpack(out)");
  sl_stream_t *s = test_stream(4, 0);
  for (int i = 0; i < 8; i++) {
    sl_put_result_t r;
    sl_error_t err;
    assert_int_equal(sl_stream_put(s, TEST_EPOCH_MS, "k", 1, lua_tostring(L, i - 8), "d", 1, &r, &err), SL_OK);
    assert_int_equal(r.shard_index, (uint32_t)(i % 4));
  }
  sl_stream_destroy(s);
  lua_close(L);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(hashing), cmocka_unit_test(clock_and_log),
                                     cmocka_unit_test(seeded_random), cmocka_unit_test(key_strategies)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
