/* sim.c - benchmark of a long simulation: one simulated hour of 4 shards at 1,000 records/s each with a
 * trivial handler (bench/sim_hour.lua). Target: under 30 s of wall time, and memory bounded by what is not yet
 * consumed: records the mapping is done with are freed, so peak memory must stay far below what keeping all
 * 14.4 million records would take (about 190 bytes each). Prints wall time, simulated seconds per wall second,
 * and peak resident memory against that bound. Usage: bench_sim */
#define _POSIX_C_SOURCE 200809L

#include "run_experiment.h"

int main(void) {
  double seconds;
  long rss_before = bench_peak_rss_kib();
  json_t *s = bench_run_file(SHARDLAB_BENCH_DIR, SHARDLAB_BENCH_DIR "/sim_hour.lua", &seconds);
  long rss = bench_peak_rss_kib();
  double records = (double)json_integer_value(json_object_get(s, "records_delivered"));
  double all_kept_mib = records * 190 / (1024.0 * 1024.0);
  printf("bench_sim: one simulated hour, 4 shards x 1,000 records/s, trivial handler\n");
  printf("  records delivered                %14.0f (put %lld)\n", records,
         (long long)json_integer_value(json_object_get(s, "records_put")));
  printf("  wall time                        %14.2f s   (target < 30 s)\n", seconds);
  printf("  simulated time / wall time       %14.1f x\n", 3600.0 / seconds);
  printf("  records per wall second          %14.0f\n", records / seconds);
  printf("  peak resident memory             %14.1f MiB (%.1f MiB before the run)\n", rss / 1024.0,
         rss_before / 1024.0);
  printf("  if every record were kept        %14.1f MiB\n", all_kept_mib);
  json_decref(s);
  return 0;
}
