/*
 * The one assertion of libmedia's tests: report a failed condition with
 * its place and count it in the test's own `failures`.
 */
#ifndef KB_MEDIA_CHECK_H
#define KB_MEDIA_CHECK_H

#include <stdio.h>

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n",		\
		    __FILE__, __LINE__, #c);				\
		failures++;						\
	}								\
} while (0)

#endif /* KB_MEDIA_CHECK_H */
