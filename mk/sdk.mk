# The client libraries an application links (sdk/), with the runtime, as
# libsealnet.a: each API function is a call to the compartment that
# serves it.
SDK_SRCS += sdk/network.c sdk/network_udp.c sdk/runtime_service.c \
	sdk/start.c sdk/log_time.c
$(OBJ)/sdk/%.o: CFLAGS += -Isdk
FORMAT_SRCS += $(wildcard sdk/*.[ch] include/sealnet/*.h)
