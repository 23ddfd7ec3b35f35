# The examples: application compartments, each in its own folder.
FORMAT_SRCS += examples/02.http/http.c examples/05.http_server/http_server.c \
	examples/03.https/https.c
FORMAT_SRCS += examples/01.sntp/sntp.c

$(BUILD)/compartments/sntp_example: $(OBJ)/examples/01.sntp/sntp.o $(SDK_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $(COMPARTMENT_LDFLAGS) -o $@ $^ $(LDLIBS)
compartments: $(BUILD)/compartments/sntp_example
compartment-objs: $(OBJ)/examples/01.sntp/sntp.o

$(BUILD)/compartments/http_client: $(OBJ)/examples/02.http/http.o $(SDK_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $(COMPARTMENT_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/compartments/http_server: $(OBJ)/examples/05.http_server/http_server.o $(SDK_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $(COMPARTMENT_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/compartments/https_client: $(OBJ)/examples/03.https/https.o $(SDK_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $(COMPARTMENT_LDFLAGS) -o $@ $^ $(LDLIBS)

compartments: $(BUILD)/compartments/http_client $(BUILD)/compartments/http_server \
	$(BUILD)/compartments/https_client
compartment-objs: $(OBJ)/examples/02.http/http.o $(OBJ)/examples/05.http_server/http_server.o \
	$(OBJ)/examples/03.https/https.o

# examples/04.mqtt: MQTT over TLS through the TLS and MQTT compartments.
FORMAT_SRCS += examples/04.mqtt/mqtt.c
$(BUILD)/compartments/mqtt_demo: $(OBJ)/examples/04.mqtt/mqtt.o $(SDK_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $(COMPARTMENT_LDFLAGS) -o $@ $^ $(LDLIBS)
compartments: $(BUILD)/compartments/mqtt_demo
compartment-objs: $(OBJ)/examples/04.mqtt/mqtt.o
