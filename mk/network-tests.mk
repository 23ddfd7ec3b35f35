# The network tests: host-side peers they run, and the scripts.
$(BUILD)/tools/%: $(OBJ)/tests/tools/%.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^
all: $(BUILD)/tools/echo_server $(BUILD)/tools/tcp_peer
FORMAT_SRCS += tests/tools/echo_server.c tests/tools/tcp_peer.c
SCRIPT_TESTS += tests/network-test.sh
# Floods against a server port: SYN cookies keep it open.
SCRIPT_TESTS += tests/attack/syn-flood.sh
# TCP super-frames from the wire against the device's offloads.
SCRIPT_TESTS += tests/attack/gso-superframes.sh
