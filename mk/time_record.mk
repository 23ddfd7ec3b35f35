# The shared time record (runtime/time_record.h): part of the runtime,
# since the supervisor, the SNTP compartment and every reader share it.
RUNTIME_SRCS += runtime/time_record.c
FORMAT_SRCS += runtime/time_record.c runtime/time_record.h

# A writer and a reader in two processes on one record: no torn read.
TEST_NAMES += time_record_test
FORMAT_SRCS += tests/time_record_test.c
