# What the network compartments share (net/): frame batches between the
# Firewall and TCPIP, the TCP segment reader and writer, and the wire's
# constants, big-endian integers and the Internet checksum (header-only).
# Linked into the compartments that use them, not the runtime.
$(OBJ)/net/%.o: CFLAGS += -Inet
$(FUZZ_BIN_DIR)/tcpseg_read: CFLAGS += -Inet

TEST_NAMES += frames_test tso_test bytes_test
# bytes.h and checksum.h are header-only.
TEST_MAIN_bytes_test := net/tests/bytes_test.c
TEST_MAIN_frames_test := net/tests/frames_test.c
TEST_SRCS_frames_test := net/frames.c
TEST_MAIN_tso_test := net/tests/tso_test.c
TEST_SRCS_tso_test := net/tso.c net/tcpseg.c

FUZZ_TARGETS += tcpseg_read
FUZZ_MAIN_tcpseg_read := net/fuzz/tcpseg_read.c
FUZZ_SRCS_tcpseg_read := net/tcpseg.c

FORMAT_SRCS += $(wildcard net/*.[ch] net/tests/*.c net/fuzz/*.c)
