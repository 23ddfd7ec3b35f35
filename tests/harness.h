/*
 * A deliberately small test harness: each check prints one PASS or FAIL
 * line, and scripts/run-tests adds them up.  A test binary exits non-zero
 * if any of its checks failed.
 */
#ifndef SEALNET_TESTS_HARNESS_H
#define SEALNET_TESTS_HARNESS_H

#include <stdio.h>
#include <stdlib.h>

static int harness_failures;
static const char *harness_current = "(none)";

#define TEST(name)                                                             \
	static void test_##name(void);                                         \
	static void test_##name(void)

#define RUN(name)                                                              \
	do {                                                                   \
		int before_ = harness_failures;                                \
		harness_current = #name;                                       \
		test_##name();                                                 \
		if (harness_failures == before_)                               \
			printf("PASS %s\n", #name);                            \
		fflush(stdout);                                                \
	} while (0)

/* Records a failure and leaves the current test function. */
#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			printf("FAIL %s: %s:%d: %s\n", harness_current,       \
			       __FILE__, __LINE__, #cond);                     \
			harness_failures++;                                    \
			return;                                                \
		}                                                              \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                     \
	do {                                                                   \
		long long a_ = (long long)(a), b_ = (long long)(b);            \
		if (a_ != b_) {                                                \
			printf("FAIL %s: %s:%d: %s == %lld, expected %s == "   \
			       "%lld\n",                                       \
			       harness_current, __FILE__, __LINE__, #a, a_,    \
			       #b, b_);                                        \
			harness_failures++;                                    \
			return;                                                \
		}                                                              \
	} while (0)

#define HARNESS_EXIT() return harness_failures ? EXIT_FAILURE : EXIT_SUCCESS

#endif
