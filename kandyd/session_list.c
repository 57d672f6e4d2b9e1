/*
 * The answer to GET /sessions (catch-up after a reconnect): one entry
 * per live session with its id, status and answer SDP when known.
 * Untrusted input: it passes json_guard_load and every field is checked
 * before the caller sees it; entries that do not parse are skipped.
 */
#include <string.h>

#include <jansson.h>

#include "daemon.h"

int
kresp_session_list(const char *body, size_t len, session_list_cb cb,
    void *arg, const char **errstr)
{
	struct session_entry	 e;
	json_t			*j, *list, *s, *sdp;
	char			 url[KANDY_URLLEN];
	size_t			 i;
	int			 n = 0;

	if ((j = json_guard_load(body, len, HTTP_BODYMAX, errstr)) == NULL)
		return (-1);
	list = json_object_get(json_object_get(j, "wrtcsSessionList"),
	    "wrtcsSession");
	if (!json_is_array(list)) {
		*errstr = "session list: no wrtcsSessionList.wrtcsSession";
		json_decref(j);
		return (-1);
	}
	json_array_foreach(list, i, s) {
		memset(&e, 0, sizeof(e));
		if (!json_is_object(s) ||
		    json_guard_str(s, "resourceURL", url, sizeof(url)) == -1 ||
		    kandy_id_from_url(url, "/sessions/", e.sid,
		    sizeof(e.sid)) == -1)
			continue;
		if (json_object_get(s, "status") != NULL &&
		    json_guard_str(s, "status", e.status,
		    sizeof(e.status)) == -1)
			continue;
		sdp = json_object_get(json_object_get(s, "answer"), "sdp");
		if (json_is_string(sdp) && json_string_length(sdp) > 0 &&
		    json_string_length(sdp) <= SDP_MAXLEN &&
		    strlen(json_string_value(sdp)) == json_string_length(sdp)) {
			e.answer_sdp = json_string_value(sdp);
			e.answer_len = json_string_length(sdp);
		}
		cb(&e, arg);
		n++;
	}
	json_decref(j);
	return (n);
}
