/* member.c - membership states from heartbeats (see member.h). */
#include <string.h>

#include "common/isotime.h"
#include "server/member.h"

member_state_t member_state(const char *last_heartbeat, const char *left_at, int64_t now_us,
                            int heartbeat_s)
{
    if (left_at && *left_at)
        return MEMBER_LEFT;
    int64_t beat;
    if (!last_heartbeat || isotime_parse(last_heartbeat, strlen(last_heartbeat), &beat) < 0)
        return MEMBER_DOWN;
    if (heartbeat_s < 1)
        heartbeat_s = MEMBER_HEARTBEAT_DEFAULT_S;
    int64_t age = now_us - beat, interval = (int64_t)heartbeat_s * 1000000;
    if (age <= MEMBER_UP_FACTOR * interval)
        return MEMBER_UP;
    if (age <= MEMBER_MISSED_FACTOR * interval)
        return MEMBER_MISSED;
    return MEMBER_DOWN;
}

const char *member_state_name(member_state_t s)
{
    switch (s) {
    case MEMBER_UP:
        return "up";
    case MEMBER_MISSED:
        return "missed heartbeats";
    case MEMBER_DOWN:
        return "down";
    case MEMBER_LEFT:
        return "left";
    }
    return "down";
}

int member_is_live(member_state_t s)
{
    return s == MEMBER_UP || s == MEMBER_MISSED;
}
