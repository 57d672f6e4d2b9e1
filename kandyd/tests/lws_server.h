/* The test server of test_lws, run in a child process. */
#ifndef KANDYD_LWS_SERVER_H
#define KANDYD_LWS_SERVER_H

#define TEST_GOOD_TOKEN	"good-token"
#define TEST_SDPLEN	12000
#define TEST_MSGMAX	16384

void	lws_server_run(const char *, int);

#endif
