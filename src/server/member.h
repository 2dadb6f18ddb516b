/* member.h - a server's state in its cluster, read from its row in the ODB's
 * `server` table: up, missed heartbeats, down, or left. One pure function, so the
 * API, the CLI's load balancer configuration and the cluster-wide calls all judge
 * a server the same way. */
#ifndef WSX_MEMBER_H
#define WSX_MEMBER_H

#include <stdint.h>

#define MEMBER_HEARTBEAT_DEFAULT_S 2
/* A heartbeat within UP_FACTOR intervals: up; within MISSED_FACTOR: missed
 * heartbeats; older: down. */
#define MEMBER_UP_FACTOR 3
#define MEMBER_MISSED_FACTOR 10

typedef enum member_state {
    MEMBER_UP,
    MEMBER_MISSED, /* late, not yet given up on: still called, still balanced to */
    MEMBER_DOWN,
    MEMBER_LEFT, /* stopped gracefully (SIGTERM); it said so itself */
} member_state_t;

/* The state of a server whose row says last_heartbeat and left_at (ISO 8601 UTC, as
 * the ODB stores them; left_at NULL or "" when it did not leave), seen at now_us
 * (microseconds since the epoch) by a server heartbeating every heartbeat_s seconds
 * (the cluster's servers are meant to share the interval; the row does not record
 * it). A left_at wins over any heartbeat. A heartbeat that cannot be read counts as
 * down; one in the future (another machine's clock ahead of ours) as up. Pure;
 * the strings are borrowed for the call. */
member_state_t member_state(const char *last_heartbeat, const char *left_at, int64_t now_us,
                            int heartbeat_s);

/* "up", "missed heartbeats", "down" or "left" (static). */
const char *member_state_name(member_state_t s);

/* Whether a server in state s takes part: calls fan out to it and the load balancer
 * sends it clients (up or missed heartbeats). */
int member_is_live(member_state_t s);

#endif
