# The bound on a caller's parked waits (SN_MAX_WAITING), between two
# processes: tests/waiting_test.c.
TEST_NAMES += waiting_test
FORMAT_SRCS += tests/waiting_test.c
