/* test_sim_support.h - creating and running a simulation in a unit test, failing the test on any error. */
#ifndef SHARDLAB_TEST_SIM_SUPPORT_H
#define SHARDLAB_TEST_SIM_SUPPORT_H

#include "test_support.h"

#include "shardlab/sim.h"

static inline sl_sim_t *test_sim_run(const sl_sim_config_t *c) {
  sl_sim_t *sim;
  sl_error_t err;
  if (sl_sim_create(c, &sim, &err) != SL_OK) fail_msg("sl_sim_create: %s", err.message);
  if (sl_sim_run(sim, &err) != SL_OK) fail_msg("sl_sim_run: %s", err.message);
  return sim;
}

#endif
