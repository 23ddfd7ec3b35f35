# The boundary runtime: channels, the event loop and handles.
RUNTIME_SRCS += runtime/channel.c runtime/loop.c runtime/handle.c
FORMAT_SRCS += runtime/channel.c runtime/channel.h runtime/loop.c \
	runtime/loop.h runtime/handle.c runtime/handle.h \
	include/sealnet/errors.h
