/* Minimal assertions for kandyd's tests: report and count failures. */
#ifndef KANDYD_CHECK_H
#define KANDYD_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int check_failures;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
		check_failures++;					\
	}								\
} while (0)

#define CHECK_STR(a, b) do {						\
	const char *check_a = (a), *check_b = (b);			\
	if (check_a == NULL || check_b == NULL ||			\
	    strcmp(check_a, check_b) != 0) {				\
		fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n",		\
		    __FILE__, __LINE__, check_a ? check_a : "(null)",	\
		    check_b ? check_b : "(null)");			\
		check_failures++;					\
	}								\
} while (0)

#define CHECK_INT(a, b) do {						\
	long long check_a = (long long)(a), check_b = (long long)(b);	\
	if (check_a != check_b) {					\
		fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n",	\
		    __FILE__, __LINE__, #a, check_a, check_b);		\
		check_failures++;					\
	}								\
} while (0)

/* Read a whole file into a NUL-terminated heap buffer, or exit. */
char	*check_slurp(const char *, size_t *);

#endif
