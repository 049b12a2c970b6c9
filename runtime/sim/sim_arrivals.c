/* sim_arrivals.c - when each producer's records arrive (DESIGN 7): at fixed spacing or as a Poisson process
 * from the run's seed, at a constant rate or one that varies in time (rate_at: Poisson arrivals thinned from
 * the most rate, Lewis and Shedler), or at the times of recorded traffic (schedule); and what the rates asked
 * for (records_offered, metrics.h), the arrivals a waiting producer never put included. */
#include <math.h>
#include <stdlib.h>

#include "sim/sim_internal.h"

static double draw(uint64_t *state) { /* (0, 1] */
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return ((double)((x * UINT64_C(2685821657736338717)) >> 11) + 1.0) * 0x1.0p-53;
}

static double uniform(sl_sim_t *sim) { return draw(&sim->rng); }

/* Producer p's rate at t (records per second): its rate_at's, at most its rate, or its constant rate. */
static int rate_at(sl_sim_t *sim, uint32_t p, int64_t t, double *rate) {
  const sl_producer_config_t *pc = &sim->config.producers[p];
  *rate = pc->rate;
  if (pc->rate_at == NULL) return SL_OK;
  int rc = pc->rate_at(sim->config.ctx, p, t, rate, &sim->error);
  if (rc == SL_OK && !(*rate >= 0 && isfinite(*rate)))
    rc = sl_error_set(&sim->error, SL_EINVAL, "producers[%u].rate at %.3f s is %g: a rate is a number of records "
                      "per second, at least 0", p + 1, (double)t / 1e6, *rate);
  if (rc != SL_OK) sim->failed = 1;
  if (*rate > pc->rate) *rate = pc->rate; /* the bound the arrivals are drawn under (checked at load) */
  return rc;
}

/* A varying rate's next arrival after `after`, drawing from *state. Poisson: candidates at the most rate,
 * each kept with probability rate(t) / most (thinning: exact for any rate function under the bound). Fixed:
 * the gap of the rate at the previous arrival (a rate of 0 is looked at again every 10 ms). */
static int varying_after(sl_sim_t *sim, uint32_t p, double after, uint64_t *state, int64_t *at, double *exact) {
  const sl_producer_config_t *pc = &sim->config.producers[p];
  int64_t end = sim->config.duration_us;
  double t = after, rate;
  for (;;) {
    if (pc->arrivals == SL_ARRIVALS_FIXED) {
      if (rate_at(sim, p, (int64_t)t, &rate) != SL_OK) return sim->error.code;
      t += rate > 0 ? 1e6 / rate : 10000;
      if (rate > 0 || t >= (double)end) break;
    } else {
      t += -log(draw(state)) * 1e6 / pc->rate;
      if (t >= (double)end) break;
      if (rate_at(sim, p, (int64_t)t, &rate) != SL_OK) return sim->error.code;
      if (draw(state) * pc->rate <= rate) break;
    }
  }
  *at = t >= (double)INT64_MAX / 2 ? INT64_MAX / 2 : (int64_t)llround(t);
  if (exact != NULL) *exact = t;
  return SL_OK;
}

/* Fixed arrivals: how many of the times llround((i - 1) * 1e6 / rate), i from 1, fall before duration_us. */
static uint64_t fixed_offered(double rate, int64_t duration_us) {
  uint64_t n = (uint64_t)((double)duration_us * rate / 1e6) + 2;
  while (n > 0 && llround((double)(n - 1) * 1e6 / rate) >= duration_us) n--;
  while (llround((double)n * 1e6 / rate) < duration_us) n++;
  return n;
}

/* A schedule's records that arrive before duration_us. */
static uint64_t scheduled_offered(const sl_producer_config_t *pc, int64_t duration_us) {
  uint64_t n = 0;
  while (n < pc->schedule_count && pc->schedule[n] < duration_us) n++;
  return n;
}

/* The arrivals that fell due in (from, to) while producer p waited on a refused put, drawn from a stream of
 * their own (the run's seed, p and from), so the records put stay what they were; at a constant rate above
 * 100,000 expected, the expected count. */
static int waited_arrivals(sl_sim_t *sim, uint32_t p, int64_t from, int64_t to, uint64_t *n) {
  const sl_producer_config_t *pc = &sim->config.producers[p];
  double rate = pc->rate, expected = rate * (double)(to - from) / 1e6;
  *n = 0;
  if (to <= from) return SL_OK;
  if (pc->rate_at == NULL && expected > 100000) {
    *n = (uint64_t)llround(expected);
    return SL_OK;
  }
  uint64_t state = (sim->config.seed + 1) * UINT64_C(0x9E3779B97F4A7C15) ^ ((uint64_t)p << 44) ^ (uint64_t)from;
  if (state == 0) state = 1;
  if (pc->rate_at != NULL) {
    for (int64_t t = from;;) {
      if (varying_after(sim, p, (double)t, &state, &t, NULL) != SL_OK) return sim->error.code;
      if (t >= to) return SL_OK;
      ++*n;
    }
  }
  for (double t = (double)from + -log(draw(&state)) * 1e6 / rate; t < (double)to;
       t += -log(draw(&state)) * 1e6 / rate)
    ++*n;
  return SL_OK;
}

int sl__sim_count_offered(sl_sim_t *sim, uint32_t p, int fresh, int wait_ended) {
  sl__producer_t *pr = &sim->producers[p];
  const sl_producer_config_t *pc = &sim->config.producers[p];
  int64_t end = sim->now < sim->config.duration_us ? sim->now : sim->config.duration_us;
  if (pc->schedule != NULL) { /* known from the start: every recorded record due within the duration */
    if (fresh && pr->next_i == 1) sim->summary.records_offered += scheduled_offered(pc, sim->config.duration_us);
  } else if (pc->arrivals == SL_ARRIVALS_FIXED && pc->rate_at == NULL) {
    if (fresh && pr->next_i == 1) sim->summary.records_offered += fixed_offered(pc->rate, sim->config.duration_us);
  } else {
    sim->summary.records_offered += (uint64_t)(fresh != 0);
    uint64_t waited = 0;
    if (wait_ended && waited_arrivals(sim, p, pr->waiting_since, end, &waited) != SL_OK) return sim->error.code;
    sim->summary.records_offered += waited;
  }
  sim->summary.records_not_sent = sim->summary.records_offered - sim->summary.records_put;
  return SL_OK;
}

int sl__sim_next_arrival(sl_sim_t *sim, uint32_t p, uint64_t i, int64_t after, int64_t *at) {
  const sl_producer_config_t *pc = &sim->config.producers[p];
  if (pc->schedule != NULL) { /* recorded traffic: its times, none after the last */
    int64_t t = i <= pc->schedule_count ? pc->schedule[i - 1] : INT64_MAX / 2;
    *at = t > after ? t : after;
    return SL_OK;
  }
  if (pc->rate_at != NULL && pc->arrivals == SL_ARRIVALS_FIXED && i == 1) { /* the first at once, if due */
    double rate;
    if (rate_at(sim, p, after, &rate) != SL_OK) return sim->error.code;
    if (rate > 0) {
      *at = after;
      sim->producers[p].fixed_exact = (double)after;
      return SL_OK;
    }
  }
  if (pc->rate_at != NULL && pc->arrivals == SL_ARRIVALS_FIXED) {
    /* From the previous arrival's exact time, not its time rounded to the microsecond: rounding every gap
     * would lose up to a microsecond an arrival (300/s for 5 s put 1,501). After a wait, from its end. */
    sl__producer_t *pr = &sim->producers[p];
    double from = pr->fixed_exact >= 0 && llround(pr->fixed_exact) == after ? pr->fixed_exact : (double)after;
    return varying_after(sim, p, from, &sim->rng, at, &pr->fixed_exact);
  }
  if (pc->rate_at != NULL) return varying_after(sim, p, (double)after, &sim->rng, at, NULL);
  if (pc->arrivals == SL_ARRIVALS_FIXED) { /* i / rate exactly */
    int64_t t = (int64_t)llround((double)(i - 1) * 1e6 / pc->rate);
    *at = t > after ? t : after;
    return SL_OK;
  }
  *at = after + (int64_t)llround(-log(uniform(sim)) * 1e6 / pc->rate); /* exponential gaps */
  return SL_OK;
}
