/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which libvirt URIs idxdd's own client (libvirt-rpc.c) can serve: a
 * hypervisor driver's daemon on this host, reached on its unix socket. Pure:
 * no I/O; the daemon uses it to choose the registrar module, the client to
 * find the socket.
 */
#pragma once

/* Where libvirt's daemons put their sockets in system mode. */
#define IDXD_LIBVIRT_RUN_DIR "/run/libvirt"

typedef struct IdxdLibvirtLocal {
        char *name;             /* the URI the daemon is asked to open: "qemu:///system" */
        char *sockets[2];       /* tried in order; sockets[1] may be NULL */
} IdxdLibvirtLocal;

/*
 * "DRV:///system", "DRV+unix:///system" and "DRV+unix:///session?socket=PATH"
 * for the domain drivers (qemu, lxc, libxl, xen, ch, vbox). System mode
 * without a socket tries the driver's own daemon (virtqemud-sock, …) in
 * run_dir, then libvirtd's. -EPROTONOSUPPORT for every other URI (remote
 * hosts, other transports or parameters, embedded or test drivers, a session
 * daemon libvirt would have to start): those need libvirt's library.
 */
int idxd_libvirt_uri_local(const char *uri, const char *run_dir, IdxdLibvirtLocal *ret);
void idxd_libvirt_local_done(IdxdLibvirtLocal *l);
