
RUNTIME_SRCS += runtime/call.c runtime/log.c
FORMAT_SRCS += runtime/call.c runtime/call.h runtime/log.c runtime/log.h
