/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The client side of libvirt's RPC protocol, for the registrar
 * (libvirt-rpc.h). A message is a 4-byte length (counting itself), a 24-byte
 * header (program, version, procedure, type, serial, status) and an XDR
 * payload. Calls are synchronous on the calling thread; whatever else the
 * daemon sends meanwhile is a keepalive ping, answered at once, or an event,
 * queued for the loop like everything read while idle.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "libvirt-rpc.h"
#include "libvirt-uri.h"
#include "macro.h"

/* From libvirt's virnetprotocol.x, remote_protocol.x and virkeepaliveprotocol.x. */
#define REMOTE_PROGRAM 0x20008086U
#define KEEPALIVE_PROGRAM 0x6b656570U
#define PROTOCOL_VERSION 1U
#define HEADER_SIZE 24U
#define MESSAGE_MAX 16777216U
#define STRING_MAX 4194304U
#define AUTH_TYPES_MAX 20U

enum { MESSAGE_CALL = 0, MESSAGE_REPLY = 1, MESSAGE_EVENT = 2 };
enum { STATUS_OK = 0, STATUS_ERROR = 1 };
enum { KEEPALIVE_PING = 1, KEEPALIVE_PONG = 2 };
enum { AUTH_NONE = 0, AUTH_POLKIT = 2 };
enum { FEATURE_PROGRAM_KEEPALIVE = 10, FEATURE_REMOTE_EVENT_CALLBACK = 14 };
enum {
        PROC_CONNECT_OPEN = 1,
        PROC_CONNECT_CLOSE = 2,
        PROC_DOMAIN_GET_XML_DESC = 14,
        PROC_DOMAIN_LOOKUP_BY_NAME = 23,
        PROC_CONNECT_SUPPORTS_FEATURE = 60,
        PROC_AUTH_LIST = 66,
        PROC_AUTH_POLKIT = 70,
        PROC_DOMAIN_IS_ACTIVE = 150,
        PROC_DOMAIN_IS_PERSISTENT = 151,
        PROC_DOMAIN_ATTACH_DEVICE_FLAGS = 160,
        PROC_DOMAIN_DETACH_DEVICE_FLAGS = 161,
        PROC_DOMAIN_EVENT_REGISTER = 316,
        PROC_DOMAIN_EVENT_DEREGISTER = 317,
        PROC_DOMAIN_EVENT_LIFECYCLE = 318,
};

/* ---- errors: one per thread, as in libvirt ---- */

static __thread virError last_error;

void virResetLastError(void) {
        free(last_error.message);
        last_error = (virError) {};
}

static void _printf_(2, 3) error_set(int code, const char *fmt, ...) {
        va_list ap;
        char *m;

        va_start(ap, fmt);
        if (vasprintf(&m, fmt, ap) < 0)
                m = NULL;
        va_end(ap);
        virResetLastError();
        last_error.code = code;
        last_error.domain = VIR_FROM_RPC;
        last_error.level = VIR_ERR_ERROR;
        last_error.message = m;
}

static void error_oom(void) {
        error_set(VIR_ERR_NO_MEMORY, "out of memory");
}

static void error_bad_reply(void) {
        error_set(VIR_ERR_RPC, "libvirt sent a reply that cannot be read");
}

virErrorPtr virGetLastError(void) {
        return last_error.code == VIR_ERR_OK ? NULL : &last_error;
}

const char *virGetLastErrorMessage(void) {
        if (last_error.code == VIR_ERR_OK)
                return "no error";
        return last_error.message ?: "unknown error";
}

int virInitialize(void) {
        return 0;
}

void virSetErrorFunc(void *userdata, virErrorFunc handler) {
        /* Errors are never printed here; the caller reads them with virGetLastError(). */
}

/* ---- the event loop: one per thread ---- */

typedef struct Watch {
        int id;
        int fd;
        int events;             /* VIR_EVENT_HANDLE_* */
        int frequency;          /* timers: msec, -1 off */
        uint64_t due_usec;
        bool timer;
        bool removed;
        virEventHandleCallback handle_cb;
        virEventTimeoutCallback timeout_cb;
        void *opaque;
        virFreeCallback ff;
} Watch;

static __thread struct {
        Watch *watches;
        size_t n_watches;
        int last_id;
        bool running;           /* inside virEventRunDefaultImpl(): removed watches wait for its end */
} loop;

static Watch *watch_add(void) {
        Watch *w;

        w = reallocarray(loop.watches, loop.n_watches + 1, sizeof(*w));
        if (!w)
                return NULL;
        loop.watches = w;
        w = &loop.watches[loop.n_watches++];
        *w = (Watch) { .id = ++loop.last_id, .fd = -1, .frequency = -1 };
        return w;
}

static Watch *watch_find(int id, bool timer) {
        for (size_t i = 0; i < loop.n_watches; i++)
                if (loop.watches[i].id == id && loop.watches[i].timer == timer && !loop.watches[i].removed)
                        return &loop.watches[i];
        return NULL;
}

/* Frees removed watches; the array itself when none is left, so a thread that ends holds nothing. */
static void loop_sweep(void) {
        for (size_t i = 0; i < loop.n_watches;) {
                Watch w = loop.watches[i];

                if (!w.removed) {
                        i++;
                        continue;
                }
                memmove(&loop.watches[i], &loop.watches[i + 1], (loop.n_watches - i - 1) * sizeof(Watch));
                loop.n_watches--;
                if (w.ff)
                        w.ff(w.opaque);
        }
        if (loop.n_watches == 0)
                loop.watches = mfree(loop.watches);
}

/* Removed at once outside a run of the loop, at its end inside one (a callback may remove its own watch). */
static int watch_remove(int id, bool timer) {
        Watch *w = watch_find(id, timer);

        if (!w)
                return -1;
        w->removed = true;
        if (!loop.running)
                loop_sweep();
        return 0;
}

int virEventRegisterDefaultImpl(void) {
        return 0;
}

int virEventAddHandle(int fd, int events, virEventHandleCallback cb, void *opaque, virFreeCallback ff) {
        Watch *w = watch_add();

        if (!w)
                return -1;
        w->fd = fd;
        w->events = events;
        w->handle_cb = cb;
        w->opaque = opaque;
        w->ff = ff;
        return w->id;
}

int virEventRemoveHandle(int id) {
        return watch_remove(id, false);
}

int virEventAddTimeout(int frequency, virEventTimeoutCallback cb, void *opaque, virFreeCallback ff) {
        Watch *w = watch_add();

        if (!w)
                return -1;
        w->timer = true;
        w->timeout_cb = cb;
        w->opaque = opaque;
        w->ff = ff;
        virEventUpdateTimeout(w->id, frequency);
        return w->id;
}

void virEventUpdateTimeout(int id, int frequency) {
        Watch *w = watch_find(id, true);

        if (!w)
                return;
        w->frequency = frequency;
        w->due_usec = now_monotonic_usec() + (frequency > 0 ? (uint64_t) frequency * 1000U : 0);
}

int virEventRemoveTimeout(int id) {
        return watch_remove(id, true);
}

/* Callbacks may add and remove watches: they are found again by id, and removed ones freed at the end. */
int virEventRunDefaultImpl(void) {
        _cleanup_free_ struct pollfd *fds = NULL;
        _cleanup_free_ int *ids = NULL;
        size_t n_fds = 0, n = loop.n_watches;
        int timeout = -1, r;
        uint64_t now = now_monotonic_usec();

        fds = calloc(n ?: 1, sizeof(*fds));
        ids = calloc(n ?: 1, sizeof(*ids));
        if (!fds || !ids)
                return -1;
        for (size_t i = 0; i < n; i++) {
                const Watch *w = &loop.watches[i];

                if (w->removed)
                        continue;
                if (w->timer && w->frequency >= 0) {
                        uint64_t left_msec = w->due_usec > now ? (w->due_usec - now + 999) / 1000 : 0;

                        if (timeout < 0 || left_msec < (uint64_t) timeout)
                                timeout = left_msec > INT32_MAX ? INT32_MAX : (int) left_msec;
                } else if (!w->timer && w->events) {
                        fds[n_fds] = (struct pollfd) {
                                .fd = w->fd,
                                .events = (w->events & VIR_EVENT_HANDLE_READABLE ? POLLIN : 0) |
                                          (w->events & VIR_EVENT_HANDLE_WRITABLE ? POLLOUT : 0),
                        };
                        ids[n_fds++] = w->id;
                }
        }

        r = poll(fds, n_fds, timeout);
        if (r < 0 && errno != EINTR)
                return -1;
        loop.running = true;

        now = now_monotonic_usec();
        for (size_t i = 0; i < n; i++) {
                Watch *w = &loop.watches[i];
                virEventTimeoutCallback cb;
                void *opaque;
                int id;

                if (!w->timer || w->removed || w->frequency < 0 || w->due_usec > now)
                        continue;
                w->due_usec = now + (uint64_t) w->frequency * 1000U;
                cb = w->timeout_cb;
                opaque = w->opaque;
                id = w->id;
                cb(id, opaque);         /* may move loop.watches */
        }
        for (size_t i = 0; r > 0 && i < n_fds; i++) {
                Watch *w;
                int events = 0;

                if (!fds[i].revents)
                        continue;
                w = watch_find(ids[i], false);
                if (!w)
                        continue;
                events |= fds[i].revents & POLLIN ? VIR_EVENT_HANDLE_READABLE : 0;
                events |= fds[i].revents & POLLOUT ? VIR_EVENT_HANDLE_WRITABLE : 0;
                events |= fds[i].revents & POLLERR ? VIR_EVENT_HANDLE_ERROR : 0;
                events |= fds[i].revents & POLLHUP ? VIR_EVENT_HANDLE_HANGUP : 0;
                w->handle_cb(w->id, w->fd, events, w->opaque);
        }

        loop.running = false;
        loop_sweep();
        return 0;
}

/* ---- XDR ---- */

struct _virDomain {
        virConnectPtr conn;
        char *name;
        unsigned char uuid[VIR_UUID_BUFLEN];
        int id;
};

typedef struct Xdr {
        uint8_t *data;
        size_t size;            /* written, or read in all */
        size_t allocated;
        size_t pos;             /* reading */
        bool bad;               /* out of memory, or a read past the end or of a bad value */
} Xdr;

static void xdr_done(Xdr *x) {
        free(x->data);
        *x = (Xdr) {};
}

static uint8_t *xdr_extend(Xdr *x, size_t n) {
        size_t padded = (n + 3) & ~(size_t) 3;
        uint8_t *p;

        if (x->bad)
                return NULL;
        if (x->size + padded > x->allocated) {
                size_t a = x->allocated ? x->allocated : 256;

                while (a < x->size + padded)
                        a *= 2;
                p = realloc(x->data, a);
                if (!p) {
                        x->bad = true;
                        return NULL;
                }
                x->data = p;
                x->allocated = a;
        }
        p = x->data + x->size;
        memset(p + n, 0, padded - n);
        x->size += padded;
        return p;
}

static void xdr_put_u32(Xdr *x, uint32_t v) {
        uint8_t *p = xdr_extend(x, 4);

        if (p) {
                p[0] = v >> 24;
                p[1] = v >> 16;
                p[2] = v >> 8;
                p[3] = v;
        }
}

static void xdr_put_opaque(Xdr *x, const void *data, size_t n) {
        uint8_t *p = xdr_extend(x, n);

        if (p && n > 0)
                memcpy(p, data, n);
}

static void xdr_put_string(Xdr *x, const char *s) {
        size_t n = strlen(s);

        xdr_put_u32(x, (uint32_t) n);
        xdr_put_opaque(x, s, n);
}

static void xdr_put_domain(Xdr *x, virDomainPtr d) {
        xdr_put_string(x, d->name);
        xdr_put_opaque(x, d->uuid, VIR_UUID_BUFLEN);
        xdr_put_u32(x, (uint32_t) d->id);
}

static const uint8_t *xdr_take(Xdr *x, size_t n) {
        size_t padded = (n + 3) & ~(size_t) 3;
        const uint8_t *p;

        if (x->bad || padded < n || x->size - x->pos < padded) {
                x->bad = true;
                return NULL;
        }
        p = x->data + x->pos;
        x->pos += padded;
        return p;
}

static uint32_t xdr_get_u32(Xdr *x) {
        const uint8_t *p = xdr_take(x, 4);

        return p ? (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3] : 0;
}

static int xdr_get_int(Xdr *x) {
        return (int) xdr_get_u32(x);
}

/* A newly allocated string; NULL (and x->bad) when malformed. */
static char *xdr_get_string(Xdr *x) {
        uint32_t n = xdr_get_u32(x);
        const uint8_t *p;
        char *s;

        if (n > STRING_MAX)
                x->bad = true;
        p = xdr_take(x, n);
        if (!p || memchr(p, '\0', n)) {
                x->bad = true;
                return NULL;
        }
        s = strndup((const char *) p, n);
        if (!s)
                x->bad = true;
        return s;
}

/* A string that may be absent (NULL without x->bad). */
static char *xdr_get_optional_string(Xdr *x) {
        return xdr_get_u32(x) ? xdr_get_string(x) : NULL;
}

/* ---- connections ---- */

typedef struct EventCallback {
        struct EventCallback *next;
        int id;                                 /* the daemon's callbackID */
        virConnectDomainEventCallback cb;
        void *opaque;
        virFreeCallback ff;
} EventCallback;

typedef struct QueuedEvent {
        struct QueuedEvent *next;
        Xdr message;
} QueuedEvent;

struct _virConnect {
        int fd;
        uint32_t serial;
        bool dead;
        int close_reason;                       /* VIR_CONNECT_CLOSE_REASON_* */
        bool close_due;                         /* the close callback is still to run */
        virConnectCloseFunc close_cb;
        void *close_opaque;
        virFreeCallback close_ff;
        bool server_keepalive;                  /* the daemon speaks the keepalive protocol */
        int keepalive_interval;                 /* seconds, 0 = off */
        unsigned keepalive_count;
        unsigned pings;                         /* sent since the daemon last said anything */
        uint64_t heard_usec;
        int watch, timer;                       /* on the loop of the thread that opened it */
        EventCallback *callbacks;
        QueuedEvent *events, **events_tail;
};

static void conn_arm_timer(virConnectPtr c);

static void conn_mark_dead(virConnectPtr c, int reason) {
        if (c->dead)
                return;
        c->dead = true;
        c->close_reason = reason;
        c->close_due = c->close_cb != NULL;
        if (c->watch >= 0)
                (void) virEventRemoveHandle(c->watch);
        c->watch = -1;
        conn_arm_timer(c);
}

static void message_begin(Xdr *x, uint32_t program, uint32_t proc, uint32_t type, uint32_t serial) {
        xdr_put_u32(x, 0);                      /* the length, set when sent */
        xdr_put_u32(x, program);
        xdr_put_u32(x, PROTOCOL_VERSION);
        xdr_put_u32(x, proc);
        xdr_put_u32(x, type);
        xdr_put_u32(x, serial);
        xdr_put_u32(x, STATUS_OK);
}

static int conn_send(virConnectPtr c, Xdr *m) {
        size_t done = 0;

        if (m->bad) {
                error_oom();
                return -1;
        }
        m->data[0] = m->size >> 24;
        m->data[1] = m->size >> 16;
        m->data[2] = m->size >> 8;
        m->data[3] = m->size;
        while (done < m->size) {
                ssize_t k = send(c->fd, m->data + done, m->size - done, MSG_NOSIGNAL);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0) {
                        error_set(VIR_ERR_SYSTEM_ERROR, "Cannot write to libvirt: %s", strerror(errno));
                        conn_mark_dead(c, VIR_CONNECT_CLOSE_REASON_ERROR);
                        return -1;
                }
                done += (size_t) k;
        }
        return 0;
}

static void conn_send_keepalive(virConnectPtr c, uint32_t proc) {
        Xdr m = {};

        message_begin(&m, KEEPALIVE_PROGRAM, proc, MESSAGE_EVENT, 0);
        (void) conn_send(c, &m);
        xdr_done(&m);
}

/*
 * With keepalive on: pings after interval seconds of silence, and again
 * every interval; a daemon silent through count of them is dead. Returns
 * msec until this is due again, -1 when keepalive is off.
 */
static int conn_keepalive(virConnectPtr c) {
        uint64_t now = now_monotonic_usec(), next;

        if (c->dead || c->keepalive_interval <= 0)
                return -1;
        next = c->heard_usec + (uint64_t) c->keepalive_interval * 1000000U * (c->pings + 1);
        if (now >= next) {
                if (c->pings >= c->keepalive_count) {
                        error_set(VIR_ERR_RPC, "libvirt stopped answering keepalives");
                        conn_mark_dead(c, VIR_CONNECT_CLOSE_REASON_KEEPALIVE);
                        return -1;
                }
                c->pings++;
                conn_send_keepalive(c, KEEPALIVE_PING);
                next += (uint64_t) c->keepalive_interval * 1000000U;
        }
        return (int) ((next - now + 999) / 1000);
}

/* Waits until the socket has something, keeping the keepalive going. 0, or -1 with the connection dead. */
static int conn_wait(virConnectPtr c) {
        for (;;) {
                struct pollfd p = { .fd = c->fd, .events = POLLIN };
                int timeout = conn_keepalive(c), r;

                if (c->dead)
                        return -1;
                r = poll(&p, 1, timeout);
                if (r > 0)
                        return 0;
                if (r < 0 && errno != EINTR) {
                        error_set(VIR_ERR_SYSTEM_ERROR, "Cannot wait for libvirt: %s", strerror(errno));
                        conn_mark_dead(c, VIR_CONNECT_CLOSE_REASON_ERROR);
                        return -1;
                }
        }
}

static int conn_read(virConnectPtr c, void *buf, size_t n) {
        size_t done = 0;

        while (done < n) {
                ssize_t k;

                if (conn_wait(c) < 0)
                        return -1;
                k = read(c->fd, (uint8_t *) buf + done, n - done);
                if (k < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (k <= 0) {
                        if (k == 0)
                                error_set(VIR_ERR_RPC, "libvirt closed the connection");
                        else
                                error_set(VIR_ERR_SYSTEM_ERROR, "Cannot read from libvirt: %s", strerror(errno));
                        conn_mark_dead(c, k == 0 ? VIR_CONNECT_CLOSE_REASON_EOF : VIR_CONNECT_CLOSE_REASON_ERROR);
                        return -1;
                }
                done += (size_t) k;
        }
        return 0;
}

typedef struct Header {
        uint32_t program, version, proc, type, serial, status;
} Header;

/* One whole message: *ret holds its header and payload, read up to the payload. */
static int conn_read_message(virConnectPtr c, Header *h, Xdr *ret) {
        uint8_t word[4];
        uint32_t length;
        Xdr m = {};

        if (conn_read(c, word, 4) < 0)
                return -1;
        length = (uint32_t) word[0] << 24 | (uint32_t) word[1] << 16 | (uint32_t) word[2] << 8 | word[3];
        if (length < 4 + HEADER_SIZE || length - 4 > MESSAGE_MAX || length % 4) {
                error_set(VIR_ERR_RPC, "libvirt sent a message of a bad length (%u bytes)", length);
                conn_mark_dead(c, VIR_CONNECT_CLOSE_REASON_ERROR);
                return -1;
        }
        m.data = malloc(length - 4);
        if (!m.data) {
                error_oom();
                conn_mark_dead(c, VIR_CONNECT_CLOSE_REASON_ERROR);
                return -1;
        }
        m.size = m.allocated = length - 4;
        if (conn_read(c, m.data, m.size) < 0) {
                xdr_done(&m);
                return -1;
        }
        c->heard_usec = now_monotonic_usec();
        c->pings = 0;
        *h = (Header) {
                .program = xdr_get_u32(&m),
                .version = xdr_get_u32(&m),
                .proc = xdr_get_u32(&m),
                .type = xdr_get_u32(&m),
                .serial = xdr_get_u32(&m),
                .status = xdr_get_u32(&m),
        };
        *ret = m;
        return 0;
}

/* Everything but the reply a call waits for: pings answered, events queued for the loop. */
static void conn_take_other(virConnectPtr c, const Header *h, Xdr *m) {
        QueuedEvent *e;

        if (h->program == KEEPALIVE_PROGRAM) {
                if (h->proc == KEEPALIVE_PING)
                        conn_send_keepalive(c, KEEPALIVE_PONG);
                return;
        }
        if (h->program != REMOTE_PROGRAM || h->type != MESSAGE_EVENT || h->proc != PROC_DOMAIN_EVENT_LIFECYCLE)
                return;
        e = calloc(1, sizeof(*e));
        if (!e)
                return;
        e->message = *m;
        *m = (Xdr) {};
        *c->events_tail = e;
        c->events_tail = &e->next;
        conn_arm_timer(c);
}

/* libvirt's remote_error, as the thread's last error. */
static void error_set_remote(Xdr *m) {
        _cleanup_free_ char *message = NULL;
        int code, domain;

        code = xdr_get_int(m);
        domain = xdr_get_int(m);
        message = xdr_get_optional_string(m);
        if (m->bad) {
                error_set(VIR_ERR_RPC, "libvirt sent an error that cannot be read");
                return;
        }
        error_set(code == VIR_ERR_OK ? VIR_ERR_INTERNAL_ERROR : code, "%s", message ?: "unknown error");
        last_error.domain = domain;
}

static void call_begin(virConnectPtr c, Xdr *args, uint32_t proc) {
        *args = (Xdr) {};
        message_begin(args, REMOTE_PROGRAM, proc, MESSAGE_CALL, ++c->serial);
}

/*
 * Sends args (from call_begin(), freed here) and waits for the reply: 0 with
 * *ret (may be NULL) holding its payload, or -1 with the thread's last error.
 */
static int conn_call(virConnectPtr c, Xdr *args, Xdr *ret) {
        uint32_t serial = c->serial;

        if (ret)
                *ret = (Xdr) {};
        if (c->dead) {
                xdr_done(args);
                error_set(VIR_ERR_RPC, "the connection to libvirt is closed");
                return -1;
        }
        if (conn_send(c, args) < 0) {
                xdr_done(args);
                return -1;
        }
        xdr_done(args);

        for (;;) {
                Header h;
                Xdr m;

                if (conn_read_message(c, &h, &m) < 0)
                        return -1;
                if (h.program != REMOTE_PROGRAM || h.type != MESSAGE_REPLY || h.serial != serial) {
                        conn_take_other(c, &h, &m);
                        xdr_done(&m);
                        continue;
                }
                if (h.status != STATUS_OK) {
                        error_set_remote(&m);
                        xdr_done(&m);
                        return -1;
                }
                if (ret)
                        *ret = m;
                else
                        xdr_done(&m);
                return 0;
        }
}

/* The reply's one int, or -1 with the last error set. */
static int conn_call_int(virConnectPtr c, Xdr *args) {
        Xdr r;
        int v;

        if (conn_call(c, args, &r) < 0)
                return -1;
        v = xdr_get_int(&r);
        if (r.bad) {
                error_bad_reply();
                v = -1;
        }
        xdr_done(&r);
        return v;
}

static int conn_supports(virConnectPtr c, int feature) {
        Xdr a;

        call_begin(c, &a, PROC_CONNECT_SUPPORTS_FEATURE);
        xdr_put_u32(&a, (uint32_t) feature);
        return conn_call_int(c, &a);
}

static int conn_authenticate(virConnectPtr c, const char *uri) {
        uint32_t n, type = AUTH_NONE;
        Xdr a, r;

        call_begin(c, &a, PROC_AUTH_LIST);
        if (conn_call(c, &a, &r) < 0)
                /* A daemon too old to have the call wants none. */
                return last_error.code == VIR_ERR_NO_SUPPORT ? 0 : -1;
        n = xdr_get_u32(&r);
        if (n > AUTH_TYPES_MAX)
                r.bad = true;
        if (n > 0)
                type = xdr_get_u32(&r);
        if (r.bad) {
                xdr_done(&r);
                error_bad_reply();
                return -1;
        }
        xdr_done(&r);

        switch (type) {
        case AUTH_NONE:
                return 0;
        case AUTH_POLKIT:
                /* libvirt asks polkit about us (root: allowed); nothing to exchange. */
                call_begin(c, &a, PROC_AUTH_POLKIT);
                return conn_call(c, &a, NULL);
        default:
                error_set(VIR_ERR_AUTH_UNAVAILABLE,
                          "libvirt at %s asks for SASL authentication, which idxdd's own libvirt client does not "
                          "speak (docs/libvirt.md, \"Two clients\")", uri);
                return -1;
        }
}

static void conn_dispatch_event(virConnectPtr c, Xdr *m) {
        struct _virDomain d = { .conn = c };
        const uint8_t *uuid;
        int callback_id, event, detail;

        callback_id = xdr_get_int(m);
        d.name = xdr_get_string(m);
        uuid = xdr_take(m, VIR_UUID_BUFLEN);
        if (uuid)
                memcpy(d.uuid, uuid, VIR_UUID_BUFLEN);
        d.id = xdr_get_int(m);
        event = xdr_get_int(m);
        detail = xdr_get_int(m);
        if (!m->bad)
                for (EventCallback *cb = c->callbacks; cb; cb = cb->next)
                        if (cb->id == callback_id) {
                                (void) cb->cb(c, &d, event, detail, cb->opaque);
                                break;
                        }
        free(d.name);
}

/* Runs on the loop: queued events, then the close callback; re-arming pings when due. */
static void on_conn_timer(int timer, void *opaque) {
        virConnectPtr c = opaque;

        while (c->events) {
                QueuedEvent *e = c->events;

                c->events = e->next;
                if (!c->events)
                        c->events_tail = &c->events;
                conn_dispatch_event(c, &e->message);
                xdr_done(&e->message);
                free(e);
        }
        if (c->close_due) {
                c->close_due = false;
                if (c->close_cb)
                        c->close_cb(c, c->close_reason, c->close_opaque);
        }
        conn_arm_timer(c);
}

/* Pings when due; the timer then fires at once for queued events or a close still to report, else at the next ping. */
static void conn_arm_timer(virConnectPtr c) {
        int msec;

        if (c->timer < 0)
                return;
        msec = conn_keepalive(c);               /* may find the daemon dead: close_due */
        if (c->events || c->close_due)
                msec = 0;
        virEventUpdateTimeout(c->timer, msec);
}

static void on_conn_readable(int watch, int fd, int events, void *opaque) {
        virConnectPtr c = opaque;
        Header h;
        Xdr m;

        if (conn_read_message(c, &h, &m) < 0)
                return;
        conn_take_other(c, &h, &m);
        xdr_done(&m);
}

static int conn_connect(virConnectPtr c, const IdxdLibvirtLocal *local) {
        int error = 0;
        const char *path = NULL;

        for (size_t i = 0; i < ELEMENTSOF(local->sockets) && local->sockets[i]; i++) {
                struct sockaddr_un sa = { .sun_family = AF_UNIX };

                path = local->sockets[i];
                if (strlen(path) >= sizeof(sa.sun_path)) {
                        error = ENAMETOOLONG;
                        continue;
                }
                strcpy(sa.sun_path, path);
                c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (c->fd < 0) {
                        error = errno;
                        break;
                }
                if (connect(c->fd, (struct sockaddr *) &sa, sizeof(sa)) == 0)
                        return 0;
                error = errno;
                (void) close(c->fd);
                c->fd = -1;
        }
        error_set(VIR_ERR_SYSTEM_ERROR, "Failed to connect socket to '%s': %s", strempty(path), strerror(error));
        return -1;
}

virConnectPtr virConnectOpen(const char *uri) {
        IdxdLibvirtLocal local;
        virConnectPtr c;
        Xdr a;
        int r;

        virResetLastError();
        r = idxd_libvirt_uri_local(uri ?: "", IDXD_LIBVIRT_RUN_DIR, &local);
        if (r < 0) {
                if (r == -EPROTONOSUPPORT)
                        error_set(VIR_ERR_NO_CONNECT,
                                  "idxdd's own libvirt client cannot open %s: it reaches only a daemon on a local "
                                  "socket (docs/libvirt.md, \"Two clients\")", strempty(uri));
                else
                        error_oom();
                return NULL;
        }
        c = calloc(1, sizeof(*c));
        if (!c) {
                idxd_libvirt_local_done(&local);
                error_oom();
                return NULL;
        }
        *c = (struct _virConnect) { .fd = -1, .watch = -1, .timer = -1, .heard_usec = now_monotonic_usec() };
        c->events_tail = &c->events;

        if (conn_connect(c, &local) < 0 || conn_authenticate(c, uri) < 0)
                goto fail;
        r = conn_supports(c, FEATURE_PROGRAM_KEEPALIVE);
        if (r < 0)
                goto fail;
        c->server_keepalive = r > 0;

        call_begin(c, &a, PROC_CONNECT_OPEN);
        xdr_put_u32(&a, 1);                     /* the name is there */
        xdr_put_string(&a, local.name);
        xdr_put_u32(&a, 0);                     /* flags */
        if (conn_call(c, &a, NULL) < 0)
                goto fail;

        r = conn_supports(c, FEATURE_REMOTE_EVENT_CALLBACK);
        if (r <= 0) {
                if (r == 0)
                        error_set(VIR_ERR_NO_SUPPORT, "libvirt at %s is too old: it has no event callbacks", uri);
                goto fail;
        }

        c->watch = virEventAddHandle(c->fd, VIR_EVENT_HANDLE_READABLE, on_conn_readable, c, NULL);
        c->timer = virEventAddTimeout(-1, on_conn_timer, c, NULL);
        if (c->watch < 0 || c->timer < 0) {
                error_oom();
                goto fail;
        }
        conn_arm_timer(c);
        idxd_libvirt_local_done(&local);
        return c;

fail:
        idxd_libvirt_local_done(&local);
        c->dead = true;                         /* nothing more is said on the socket */
        (void) virConnectClose(c);
        return NULL;
}

int virConnectClose(virConnectPtr c) {
        virError saved;

        if (!c)
                return -1;
        /* Closing keeps the error that led to it. */
        saved = last_error;
        last_error = (virError) {};
        if (!c->dead) {
                Xdr a;

                call_begin(c, &a, PROC_CONNECT_CLOSE);
                (void) conn_call(c, &a, NULL);
        }
        virResetLastError();
        last_error = saved;

        if (c->watch >= 0)
                (void) virEventRemoveHandle(c->watch);
        if (c->timer >= 0)
                (void) virEventRemoveTimeout(c->timer);
        if (c->fd >= 0)
                (void) close(c->fd);
        while (c->callbacks) {
                EventCallback *cb = c->callbacks;

                c->callbacks = cb->next;
                if (cb->ff)
                        cb->ff(cb->opaque);
                free(cb);
        }
        while (c->events) {
                QueuedEvent *e = c->events;

                c->events = e->next;
                xdr_done(&e->message);
                free(e);
        }
        if (c->close_ff)
                c->close_ff(c->close_opaque);
        free(c);
        return 0;
}

int virConnectIsAlive(virConnectPtr c) {
        return c && !c->dead ? 1 : 0;
}

int virConnectSetKeepAlive(virConnectPtr c, int interval, unsigned int count) {
        virResetLastError();
        if (!c->server_keepalive)
                return 1;
        c->keepalive_interval = interval > 0 ? interval : 0;
        c->keepalive_count = count;
        conn_arm_timer(c);
        return 0;
}

int virConnectRegisterCloseCallback(virConnectPtr c, virConnectCloseFunc cb, void *opaque, virFreeCallback freecb) {
        virResetLastError();
        if (c->close_cb) {
                error_set(VIR_ERR_OPERATION_INVALID, "A close callback is already registered");
                return -1;
        }
        c->close_cb = cb;
        c->close_opaque = opaque;
        c->close_ff = freecb;
        return 0;
}

int virConnectUnregisterCloseCallback(virConnectPtr c, virConnectCloseFunc cb) {
        virResetLastError();
        if (c->close_cb != cb) {
                error_set(VIR_ERR_OPERATION_INVALID, "A different close callback was requested");
                return -1;
        }
        if (c->close_ff)
                c->close_ff(c->close_opaque);
        c->close_cb = NULL;
        c->close_opaque = NULL;
        c->close_ff = NULL;
        c->close_due = false;
        return 0;
}

int virConnectDomainEventRegisterAny(virConnectPtr c, virDomainPtr dom, int event_id,
                                     virConnectDomainEventGenericCallback cb, void *opaque, virFreeCallback freecb) {
        EventCallback *e;
        Xdr a;
        int id;

        virResetLastError();
        if (event_id != VIR_DOMAIN_EVENT_ID_LIFECYCLE) {
                error_set(VIR_ERR_NO_SUPPORT, "idxdd's own libvirt client has only lifecycle events");
                return -1;
        }
        e = calloc(1, sizeof(*e));
        if (!e) {
                error_oom();
                return -1;
        }
        call_begin(c, &a, PROC_DOMAIN_EVENT_REGISTER);
        xdr_put_u32(&a, (uint32_t) event_id);
        xdr_put_u32(&a, dom != NULL);
        if (dom)
                xdr_put_domain(&a, dom);
        id = conn_call_int(c, &a);
        if (id < 0) {
                free(e);
                return -1;
        }
        *e = (EventCallback) {
                .next = c->callbacks,
                .id = id,
                /* libvirt's own cast: the callback's type goes with event_id. */
                .cb = (virConnectDomainEventCallback) (void (*)(void)) cb,
                .opaque = opaque,
                .ff = freecb,
        };
        c->callbacks = e;
        return id;
}

int virConnectDomainEventDeregisterAny(virConnectPtr c, int callback_id) {
        EventCallback **p, *e;
        Xdr a;

        virResetLastError();
        for (p = &c->callbacks; *p && (*p)->id != callback_id; p = &(*p)->next)
                ;
        e = *p;
        if (!e) {
                error_set(VIR_ERR_INVALID_ARG, "no domain event callback %d", callback_id);
                return -1;
        }
        *p = e->next;
        if (e->ff)
                e->ff(e->opaque);
        free(e);
        if (c->dead)
                return 0;
        call_begin(c, &a, PROC_DOMAIN_EVENT_DEREGISTER);
        xdr_put_u32(&a, (uint32_t) callback_id);
        return conn_call(c, &a, NULL);
}

/* ---- domains ---- */

virDomainPtr virDomainLookupByName(virConnectPtr c, const char *name) {
        const uint8_t *uuid;
        virDomainPtr d;
        Xdr a, r;

        virResetLastError();
        call_begin(c, &a, PROC_DOMAIN_LOOKUP_BY_NAME);
        xdr_put_string(&a, name);
        if (conn_call(c, &a, &r) < 0)
                return NULL;
        d = calloc(1, sizeof(*d));
        if (d) {
                d->conn = c;
                d->name = xdr_get_string(&r);
                uuid = xdr_take(&r, VIR_UUID_BUFLEN);
                if (uuid)
                        memcpy(d->uuid, uuid, VIR_UUID_BUFLEN);
                d->id = xdr_get_int(&r);
        }
        if (!d)
                error_oom();
        else if (r.bad) {
                error_bad_reply();
                (void) virDomainFree(d);
                d = NULL;
        }
        xdr_done(&r);
        return d;
}

const char *virDomainGetName(virDomainPtr d) {
        return d ? d->name : NULL;
}

int virDomainFree(virDomainPtr d) {
        if (!d)
                return -1;
        free(d->name);
        free(d);
        return 0;
}

char *virDomainGetXMLDesc(virDomainPtr d, unsigned int flags) {
        char *xml;
        Xdr a, r;

        virResetLastError();
        call_begin(d->conn, &a, PROC_DOMAIN_GET_XML_DESC);
        xdr_put_domain(&a, d);
        xdr_put_u32(&a, flags);
        if (conn_call(d->conn, &a, &r) < 0)
                return NULL;
        xml = xdr_get_string(&r);
        if (r.bad) {
                error_bad_reply();
                xml = mfree(xml);
        }
        xdr_done(&r);
        return xml;
}

static int domain_device_call(virDomainPtr d, uint32_t proc, const char *xml, unsigned int flags) {
        Xdr a;

        virResetLastError();
        call_begin(d->conn, &a, proc);
        xdr_put_domain(&a, d);
        xdr_put_string(&a, xml);
        xdr_put_u32(&a, flags);
        return conn_call(d->conn, &a, NULL);
}

int virDomainAttachDeviceFlags(virDomainPtr d, const char *xml, unsigned int flags) {
        return domain_device_call(d, PROC_DOMAIN_ATTACH_DEVICE_FLAGS, xml, flags);
}

int virDomainDetachDeviceFlags(virDomainPtr d, const char *xml, unsigned int flags) {
        return domain_device_call(d, PROC_DOMAIN_DETACH_DEVICE_FLAGS, xml, flags);
}

static int domain_int_call(virDomainPtr d, uint32_t proc) {
        Xdr a;

        virResetLastError();
        call_begin(d->conn, &a, proc);
        xdr_put_domain(&a, d);
        return conn_call_int(d->conn, &a);
}

int virDomainIsActive(virDomainPtr d) {
        return domain_int_call(d, PROC_DOMAIN_IS_ACTIVE);
}

int virDomainIsPersistent(virDomainPtr d) {
        return domain_int_call(d, PROC_DOMAIN_IS_PERSISTENT);
}
