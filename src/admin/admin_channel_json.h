/* admin_channel_json.h - a channel as the JSON API shows it and reads it: one
 * object shape shared by GET, POST, PUT and PATCH, and the field-level errors
 * ({field, code, message}) that the API returns for a bad body. */
#ifndef WSX_ADMIN_CHANNEL_JSON_H
#define WSX_ADMIN_CHANNEL_JSON_H

#include <jansson.h>

#include "channel/channel.h"

/* The API object of a channel: id, cluster_id, name, is_active, address, service,
 * hook_service (null for none), gateway_services (an array of service names, [] for
 * none), security (the definition's name, null for none), data_format, new_token_wait_time, token_ttl,
 * ping_interval, pings_missed_threshold, max_message_size, created_at, updated_at
 * and state. Returns a new reference (the caller json_decref's it), or NULL if
 * out of memory or a string is not valid UTF-8. ch is borrowed for the call. */
json_t *admin_channel_to_json(const channel_t *ch);

/* Apply the fields of a request body onto *ch, which the caller has filled with
 * the defaults (POST) or the current row (PUT, PATCH); then run channel_validate,
 * so one call does every shape check. partial == 0 (POST, PUT): name, address and
 * service must be present. Integers must be JSON integers; id, created_at,
 * updated_at, state and states (every server's, added by the API) are read-only
 * and ignored; cluster_id, if present, must
 * be 1; security and hook_service take a string or null (none); gateway_services an
 * array of strings or null (none).
 * Returns 0 with *ch updated, or WSX_EINVAL with *err filled (codes "invalid",
 * "required", "unknown_field", "too_long", "out_of_range") and *ch unchanged. */
int admin_channel_from_json(const json_t *obj, channel_t *ch, int partial, channel_err_t *err);

#endif
