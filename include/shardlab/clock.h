/* clock.h - the one place shardlab reads the system's clocks and writes times as text: wall time (for
 * arrival timestamps and logs), a monotonic clock (for durations, deadlines and rate limits of wall time), and
 * ISO-8601 in the two forms AWS writes, and timestamps read back from text. The virtual clock of a simulation is not here: it is simulated time,
 * kept by the simulation itself (sim.h). */
#ifndef SHARDLAB_CLOCK_H
#define SHARDLAB_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Wall time (CLOCK_REALTIME) in milliseconds and microseconds since the Unix epoch. */
int64_t sl_clock_wall_ms(void);
int64_t sl_clock_wall_us(void);

/* A monotonic clock (CLOCK_MONOTONIC) in nanoseconds, and in seconds as a double (for benchmarks and
 * progress lines). Only differences between two readings mean anything. */
int64_t sl_clock_mono_ns(void);
double sl_clock_mono_s(void);

/* Room for either ISO-8601 form below, with its NUL. */
#define SL_ISO8601_SIZE 32

/* ms since the epoch as "2019-11-14T00:38:06.021Z" (AWS's approximateArrival form in on-failure records and
 * the form of Lambda log timestamps). Returns out. */
char *sl_clock_iso8601_ms(int64_t ms, char out[SL_ISO8601_SIZE]);

/* ms since the epoch, whole seconds only: "2020-12-09T07:04:00Z" (tumbling window bounds). Returns out. */
char *sl_clock_iso8601_s(int64_t ms, char out[SL_ISO8601_SIZE]);

/* A timestamp as recorded traffic gives it, to microseconds since the epoch (digits past the microsecond are
 * dropped): epoch seconds ("1700000000.123", as the Kinesis API and AWS CLI v1 give ApproximateArrivalTimestamp)
 * or ISO-8601 ("2024-05-01T12:00:00.123000+00:00" as AWS CLI v2 prints it, "...Z", "+0200", a space for the
 * T; without an offset it is UTC). 0, or -1 when the text is neither. */
int sl_clock_parse_time(const char *text, int64_t *us);

#endif
