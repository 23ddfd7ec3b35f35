
RUNTIME_SRCS += runtime/call.c runtime/serve.c runtime/peer.c \
	runtime/callbacks.c runtime/log.c runtime/grant.c
FORMAT_SRCS += runtime/call.c runtime/call.h runtime/serve.c runtime/peer.c \
	runtime/grant.c \
	runtime/call_internal.h runtime/callbacks.c \
	runtime/callbacks.h runtime/log.c runtime/log.h
TEST_NAMES += call_test quota_test
TEST_SRCS_call_test := tests/call_peers.c
FORMAT_SRCS += tests/call_test.c tests/call_peers.c tests/call_peers.h \
	tests/quota_test.c
