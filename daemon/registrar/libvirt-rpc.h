/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The part of libvirt's client API that the registrar uses (libvirt.c),
 * implemented by idxdd over libvirt's RPC protocol on a local unix socket
 * (libvirt-rpc.c), so the registrar module needs neither libvirt's library
 * nor the 60 libraries it loads (docs/libvirt.md, "Two clients").
 *
 * Included before <libvirt/libvirt.h>: libvirt's own declarations, types and
 * constants (wire values) are used, under these names, so libvirt.c builds
 * against either client and a program may link libvirt's library beside
 * this one (the tests do). Differences from libvirt's library: only the
 * URIs idxd_libvirt_uri_local() accepts; only the lifecycle domain event;
 * the event loop belongs to the thread that runs it, and a connection
 * reports on the loop of the thread that opened it; no authentication but
 * none and polkit.
 */
#pragma once

#define virInitialize lvrpc_virInitialize
#define virSetErrorFunc lvrpc_virSetErrorFunc
#define virGetLastError lvrpc_virGetLastError
#define virGetLastErrorMessage lvrpc_virGetLastErrorMessage
#define virResetLastError lvrpc_virResetLastError
#define virEventRegisterDefaultImpl lvrpc_virEventRegisterDefaultImpl
#define virEventRunDefaultImpl lvrpc_virEventRunDefaultImpl
#define virEventAddHandle lvrpc_virEventAddHandle
#define virEventRemoveHandle lvrpc_virEventRemoveHandle
#define virEventAddTimeout lvrpc_virEventAddTimeout
#define virEventUpdateTimeout lvrpc_virEventUpdateTimeout
#define virEventRemoveTimeout lvrpc_virEventRemoveTimeout
#define virConnectOpen lvrpc_virConnectOpen
#define virConnectClose lvrpc_virConnectClose
#define virConnectIsAlive lvrpc_virConnectIsAlive
#define virConnectSetKeepAlive lvrpc_virConnectSetKeepAlive
#define virConnectRegisterCloseCallback lvrpc_virConnectRegisterCloseCallback
#define virConnectUnregisterCloseCallback lvrpc_virConnectUnregisterCloseCallback
#define virConnectDomainEventRegisterAny lvrpc_virConnectDomainEventRegisterAny
#define virConnectDomainEventDeregisterAny lvrpc_virConnectDomainEventDeregisterAny
#define virDomainLookupByName lvrpc_virDomainLookupByName
#define virDomainGetName lvrpc_virDomainGetName
#define virDomainGetXMLDesc lvrpc_virDomainGetXMLDesc
#define virDomainAttachDeviceFlags lvrpc_virDomainAttachDeviceFlags
#define virDomainDetachDeviceFlags lvrpc_virDomainDetachDeviceFlags
#define virDomainIsActive lvrpc_virDomainIsActive
#define virDomainIsPersistent lvrpc_virDomainIsPersistent
#define virDomainFree lvrpc_virDomainFree

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
