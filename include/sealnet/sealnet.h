/*
 * Everything an application compartment uses, in one include:
 *
 *	#include <sealnet/sealnet.h>
 *
 * and, to build one out of the tree, statically (its sandbox has no file
 * system to load a shared library from):
 *
 *	cc -o app app.c $(pkg-config --cflags --libs sealnet)
 */
#ifndef SEALNET_SEALNET_H
#define SEALNET_SEALNET_H

#include <sealnet/compartment.h>
#include <sealnet/errors.h>
#include <sealnet/log.h>
#include <sealnet/mqtt.h>
#include <sealnet/network.h>
#include <sealnet/runtime_service.h>
#include <sealnet/sntp.h>
#include <sealnet/start.h>
#include <sealnet/time.h>
#include <sealnet/tls.h>

#endif
