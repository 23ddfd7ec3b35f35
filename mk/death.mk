# A caller found dead in the middle of a handler, between two processes:
# tests/death_test.c.
TEST_NAMES += death_test
FORMAT_SRCS += tests/death_test.c
