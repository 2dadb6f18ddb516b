/* bench.h - `wsx bench`: a WebSocket load generator in the spirit of
 * redis-benchmark, for measuring wsx and its peers (bench/run). */
#ifndef WSX_BENCH_H
#define WSX_BENCH_H

/* Run `wsx bench ...`. argv[0] is "bench"; the options follow (see --help).
 * Prints the report to stdout (text, or one JSON object with --json) and
 * diagnostics to stderr. Returns the process exit code: 0 when the run completed
 * (errors it counted are in the report), 1 when the target could not be reached
 * at all, 2 for a usage error. Runs its own event loop on the calling thread and
 * raises RLIMIT_NOFILE to the hard limit. */
int bench_main(int argc, char **argv);

#endif
