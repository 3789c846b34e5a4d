/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libvirt registrar. Two sides share one mutex-protected table:
 *
 *   loop side (sd-event):  register/unregister mark entries dirty, checks are
 *                          queued; notices from the worker arrive on an eventfd.
 *   worker thread:         owns virConnect and libvirt's event loop; takes one
 *                          dirty entry or check at a time, calls libvirt with
 *                          the mutex released, writes the outcome back.
 *
 * Entries are keyed by (uuid, domain): a uuid moved to another domain is one
 * entry to detach and one to attach. Only the worker frees entries (done
 * detaches), so the loop side never holds a pointer across the mutex.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#ifdef IDXD_LIBVIRT_RPC
#include "libvirt-rpc.h"                /* idxdd's own client, under libvirt's names */
#endif
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "idxdd-config.h"
#include "libvirt.h"
#include "macro.h"

#define BACKOFF_MIN_MSEC 500U
#define BACKOFF_MAX_MSEC 30000U
/*
 * A libvirtd that stops answering is dropped after about 30 s * (3 + 1); one
 * that stops or restarts closes the socket and is noticed at once. Our pings
 * go out only after 30 s of silence, so they add no idle wakeups while
 * libvirtd pings us (its keepalive_interval, 5 s by default).
 */
#define KEEPALIVE_INTERVAL_SEC 30
#define KEEPALIVE_COUNT 3U
/* Shutdown waits this long for a libvirt call in flight. */
#define WORKER_JOIN_TIMEOUT_SEC 10

typedef struct Entry {
        IdxdUuid uuid;
        char *domain;
        bool attach;            /* desired: in the domain (true) or out of it */
        bool live;              /* the mdev exists: a running domain gets it too */
        bool dirty;             /* the worker has to look at it */
        bool busy;              /* the worker is on it */
        IdxdRegistration state;
        char *message;          /* why it failed */
} Entry;

typedef enum NoticeKind {
        NOTICE_REGISTRATION,
        NOTICE_DOMAIN_EVENT,
        NOTICE_STATE,
        NOTICE_CHECK,
} NoticeKind;

/* Worker -> loop. */
typedef struct Notice {
        struct Notice *next;
        NoticeKind kind;
        IdxdUuid uuid;
        char *domain;
        IdxdRegistration registration;
        IdxdDomainEvent event;
        IdxdLibvirtState state;
        uint64_t check_id;
        int r;
        char *message;
} Notice;

/* Loop -> worker. */
typedef struct CheckRequest {
        struct CheckRequest *next;
        uint64_t id;
        char *domain;
} CheckRequest;

/* Loop side only: a check waiting for its answer or its timeout. */
typedef struct Check {
        struct Check *next;
        IdxdLibvirt *libvirt;
        uint64_t id;
        char *domain;
        sd_event_source *timer;
        IdxdLibvirtCheckCallback callback;
        void *userdata;
} Check;

struct IdxdLibvirt {
        sd_event *event;
        sd_event_source *notice_source;
        int notice_fd;                  /* eventfd, worker -> loop */
        int wake_fd;                    /* eventfd, loop -> worker */
        char *uri;
        IdxdLibvirtCallbacks callbacks;
        void *userdata;
        Check *checks;
        uint64_t next_check_id;
        pthread_t worker;
        bool worker_started;

        /* Shared, under mutex. */
        pthread_mutex_t mutex;
        bool quit;
        bool worker_done;               /* the worker is about to return */
        bool abandoned;                 /* the loop side gave up waiting: the worker frees everything */
        IdxdLibvirtState state;
        bool state_told;
        char *state_message;            /* the last one told */
        Entry **entries;                /* sorted by uuid, then domain */
        size_t n_entries;
        size_t cursor;                  /* where the worker looks next, for fairness */
        CheckRequest *check_queue, **check_tail;
        Notice *notices, **notice_tail;

        /* Worker only. */
        virConnectPtr conn;
        bool conn_lost;
        char *lost_reason;
        bool retry_due;
        int retry_timer;
        int wake_watch;
        int lifecycle_id;
        unsigned backoff_msec;
};

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDocPtr, xmlFreeDoc);
DEFINE_TRIVIAL_CLEANUP_FUNC(virDomainPtr, virDomainFree);

static bool xml_is_element(const xmlNode *n, const char *name) {
        return n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, BAD_CAST name);
}

static bool xml_prop_equal(xmlNode *n, const char *name, const char *value) {
        xmlChar *v = xmlGetProp(n, BAD_CAST name);
        bool equal = v && xmlStrEqual(v, BAD_CAST value);

        xmlFree(v);
        return equal;
}

/* Counts <address uuid='...'/> under <source> of one <hostdev>. */
static int hostdev_count_uuid(xmlNode *hostdev, const IdxdUuid *uuid) {
        int n = 0;

        for (xmlNode *source = hostdev->children; source; source = source->next) {
                if (!xml_is_element(source, "source"))
                        continue;
                for (xmlNode *address = source->children; address; address = address->next) {
                        xmlChar *text;
                        IdxdUuid u;

                        if (!xml_is_element(address, "address"))
                                continue;
                        text = xmlGetProp(address, BAD_CAST "uuid");
                        if (text && idxd_uuid_parse((const char *) text, &u) >= 0 && idxd_uuid_equal(&u, uuid))
                                n++;
                        xmlFree(text);
                }
        }
        return n;
}

int idxd_libvirt_xml_count_mdev(const char *xml, const IdxdUuid *uuid) {
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        size_t len = strlen(xml);
        xmlNode *root;
        int n = 0;

        if (len > INT_MAX)
                return -EBADMSG;
        doc = xmlReadMemory(xml, (int) len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        if (!doc)
                return -EBADMSG;
        root = xmlDocGetRootElement(doc);
        if (!root || !xml_is_element(root, "domain"))
                return -EBADMSG;

        for (xmlNode *devices = root->children; devices; devices = devices->next) {
                if (!xml_is_element(devices, "devices"))
                        continue;
                for (xmlNode *hostdev = devices->children; hostdev; hostdev = hostdev->next)
                        if (xml_is_element(hostdev, "hostdev") && xml_prop_equal(hostdev, "type", "mdev"))
                                n += hostdev_count_uuid(hostdev, uuid);
        }
        return n;
}

int idxd_libvirt_hostdev_xml(const IdxdUuid *uuid, char **ret) {
        char s[IDXD_UUID_STRING_MAX];

        if (asprintf(ret, "<hostdev mode='subsystem' type='mdev' model='vfio-pci'>"
                          "<source><address uuid='%s'/></source></hostdev>",
                     idxd_uuid_format(uuid, s)) < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* ---- shared table, called with the mutex held ---- */

static int entry_compare(const IdxdUuid *uuid, const char *domain, const Entry *e) {
        int c = idxd_uuid_compare(uuid, &e->uuid);

        return c != 0 ? c : strcmp(domain, e->domain);
}

/* Index of the first entry with this uuid (or where it would go). */
static size_t entries_lower_bound(const IdxdLibvirt *l, const IdxdUuid *uuid) {
        size_t lo = 0, hi = l->n_entries;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (idxd_uuid_compare(&l->entries[mid]->uuid, uuid) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static Entry *entry_free(Entry *e) {
        if (!e)
                return NULL;
        free(e->domain);
        free(e->message);
        free(e);
        return NULL;
}

static int entries_insert(IdxdLibvirt *l, const IdxdUuid *uuid, const char *domain, Entry **ret) {
        size_t i = entries_lower_bound(l, uuid);
        Entry **p, *e;

        while (i < l->n_entries && entry_compare(uuid, domain, l->entries[i]) > 0)
                i++;

        p = reallocarray(l->entries, l->n_entries + 1, sizeof(Entry *));
        if (!p)
                return -ENOMEM;
        l->entries = p;

        e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        e->uuid = *uuid;
        e->domain = strdup(domain);
        if (!e->domain) {
                free(e);
                return -ENOMEM;
        }
        e->state = IDXD_REGISTRATION_PENDING;

        memmove(l->entries + i + 1, l->entries + i, (l->n_entries - i) * sizeof(Entry *));
        l->entries[i] = e;
        l->n_entries++;
        if (l->cursor > i)
                l->cursor++;
        *ret = e;
        return 0;
}

static void entries_remove(IdxdLibvirt *l, Entry *e) {
        for (size_t i = 0; i < l->n_entries; i++)
                if (l->entries[i] == e) {
                        memmove(l->entries + i, l->entries + i + 1, (l->n_entries - i - 1) * sizeof(Entry *));
                        l->n_entries--;
                        if (l->cursor > i)
                                l->cursor--;
                        entry_free(e);
                        return;
                }
}

static bool streq_ptr(const char *a, const char *b) {
        return a && b ? strcmp(a, b) == 0 : a == b;
}

static void wake(int fd) {
        (void) eventfd_write(fd, 1);
}

/* Worker side: queues a notice for the loop. Out of memory drops it; the table still holds the truth. */
static void notice_push(IdxdLibvirt *l, Notice *n) {
        n->next = NULL;
        *l->notice_tail = n;
        l->notice_tail = &n->next;
        wake(l->notice_fd);
}

static Notice *notice_new(NoticeKind kind, const char *domain, const char *message) {
        Notice *n = calloc(1, sizeof(*n));

        if (!n)
                return NULL;
        n->kind = kind;
        n->domain = domain ? strdup(domain) : NULL;
        n->message = message ? strdup(message) : NULL;
        if ((domain && !n->domain) || (message && !n->message)) {
                free(n->domain);
                free(n->message);
                free(n);
                return NULL;
        }
        return n;
}

static void notice_free(Notice *n) {
        free(n->domain);
        free(n->message);
        free(n);
}

/* What both sides share; freed by whichever side is last (see idxd_libvirt_free()). */
static void shared_free(IdxdLibvirt *l) {
        while (l->check_queue) {
                CheckRequest *c = l->check_queue;

                l->check_queue = c->next;
                free(c->domain);
                free(c);
        }
        while (l->notices) {
                Notice *n = l->notices;

                l->notices = n->next;
                notice_free(n);
        }
        for (size_t i = 0; i < l->n_entries; i++)
                entry_free(l->entries[i]);
        free(l->entries);
        if (l->notice_fd >= 0)
                (void) close(l->notice_fd);
        if (l->wake_fd >= 0)
                (void) close(l->wake_fd);
        (void) pthread_mutex_destroy(&l->mutex);
        free(l->state_message);
        free(l->uri);
        free(l);
}

static void push_registration(IdxdLibvirt *l, const Entry *e) {
        Notice *n = notice_new(NOTICE_REGISTRATION, e->domain, e->message);

        if (!n)
                return;
        n->uuid = e->uuid;
        n->registration = e->state;
        notice_push(l, n);
}

/* Only changes are told: a retry that fails like the last one says nothing new. */
static void push_state(IdxdLibvirt *l, IdxdLibvirtState state, const char *message) {
        Notice *n;

        if (state == l->state && l->state_told && streq_ptr(message, l->state_message))
                return;
        l->state = state;
        l->state_told = true;
        free(l->state_message);
        l->state_message = message ? strdup(message) : NULL;
        n = notice_new(NOTICE_STATE, NULL, message);
        if (!n)
                return;
        n->state = state;
        notice_push(l, n);
}

static void set_state(IdxdLibvirt *l, IdxdLibvirtState state, const char *message) {
        pthread_mutex_lock(&l->mutex);
        push_state(l, state, message);
        pthread_mutex_unlock(&l->mutex);
}

/* ---- worker: libvirt calls, never with the mutex held ---- */

static void ignore_libvirt_error(void *userdata, virErrorPtr error) {
        /* Errors are read with virGetLastError() and reported through callbacks. */
}

static int global_init_result;

static void global_init(void) {
        xmlInitParser();
        if (virInitialize() < 0) {
                global_init_result = -EIO;
                return;
        }
        virSetErrorFunc(NULL, ignore_libvirt_error);
        /* libvirt's event loop is process-wide and must exist before any connection. */
        if (virEventRegisterDefaultImpl() < 0)
                global_init_result = -EIO;
}

/*
 * After a failed call: -EAGAIN when the connection is gone (the work stays
 * pending), else -EREMOTEIO with "<what>: <libvirt's message>".
 */
static int _printf_(3, 4) worker_failure(IdxdLibvirt *l, char **ret_message, const char *fmt, ...) {
        _cleanup_free_ char *what = NULL, *cause = NULL;
        va_list ap;
        int r;

        /* Copied first: the next libvirt call resets the thread's last error. */
        cause = strdup(virGetLastErrorMessage());
        if (virConnectIsAlive(l->conn) != 1) {
                l->conn_lost = true;
                return -EAGAIN;
        }

        va_start(ap, fmt);
        r = vasprintf(&what, fmt, ap);
        va_end(ap);
        if (r < 0 || asprintf(ret_message, "%s: %s", what, strempty(cause)) < 0)
                *ret_message = NULL;
        return -EREMOTEIO;
}

/* 1 present, 0 absent, negative errno as worker_failure(). */
static int worker_domain_has_mdev(IdxdLibvirt *l, virDomainPtr dom, unsigned flags, const IdxdUuid *uuid,
                                  char **ret_message) {
        _cleanup_free_ char *xml = NULL;
        int r;

        xml = virDomainGetXMLDesc(dom, flags);
        if (!xml)
                return worker_failure(l, ret_message, "Cannot read the XML of domain '%s'", virDomainGetName(dom));
        r = idxd_libvirt_xml_count_mdev(xml, uuid);
        if (r < 0) {
                if (asprintf(ret_message, "Cannot parse the XML of domain '%s'", virDomainGetName(dom)) < 0)
                        *ret_message = NULL;
                return r;
        }
        return r > 0;
}

static int worker_lookup(IdxdLibvirt *l, const char *domain, virDomainPtr *ret, char **ret_message) {
        virErrorPtr error;

        *ret = virDomainLookupByName(l->conn, domain);
        if (*ret)
                return 0;
        error = virGetLastError();
        if (error && error->code == VIR_ERR_NO_DOMAIN) {
                if (asprintf(ret_message, "domain '%s' not found", domain) < 0)
                        *ret_message = NULL;
                return -ENOENT;
        }
        return worker_failure(l, ret_message, "Cannot look up domain '%s'", domain);
}

/* Adds the hostdev to the config (persistent domains) and, when live, to the running domain. */
static int worker_attach(IdxdLibvirt *l, const IdxdUuid *uuid, const char *domain, bool live, char **ret_message) {
        _cleanup_(virDomainFreep) virDomainPtr dom = NULL;
        _cleanup_free_ char *hostdev = NULL;
        char s[IDXD_UUID_STRING_MAX];
        int persistent, active = 0, r;

        r = worker_lookup(l, domain, &dom, ret_message);
        if (r < 0)
                return r;
        r = idxd_libvirt_hostdev_xml(uuid, &hostdev);
        if (r < 0)
                return r;
        idxd_uuid_format(uuid, s);

        persistent = virDomainIsPersistent(dom);
        if (persistent < 0)
                return worker_failure(l, ret_message, "Cannot query domain '%s'", domain);
        if (live) {
                active = virDomainIsActive(dom);
                if (active < 0)
                        return worker_failure(l, ret_message, "Cannot query domain '%s'", domain);
        }
        if (!persistent && !active) {
                if (asprintf(ret_message, "domain '%s' is transient and mdev %s cannot be attached live yet",
                             domain, s) < 0)
                        *ret_message = NULL;
                return -EREMOTEIO;
        }

        if (persistent) {
                r = worker_domain_has_mdev(l, dom, VIR_DOMAIN_XML_INACTIVE, uuid, ret_message);
                if (r < 0)
                        return r;
                if (r == 0 && virDomainAttachDeviceFlags(dom, hostdev, VIR_DOMAIN_AFFECT_CONFIG) < 0)
                        return worker_failure(l, ret_message, "Cannot add mdev %s to the config of domain '%s'",
                                              s, domain);
        }
        if (active) {
                r = worker_domain_has_mdev(l, dom, 0, uuid, ret_message);
                if (r < 0)
                        return r;
                if (r == 0 && virDomainAttachDeviceFlags(dom, hostdev, VIR_DOMAIN_AFFECT_LIVE) < 0)
                        return worker_failure(l, ret_message, "Cannot attach mdev %s to running domain '%s'",
                                              s, domain);
        }
        return 0;
}

/* Removes the hostdev from the config and from the running domain, wherever it is. */
static int worker_detach(IdxdLibvirt *l, const IdxdUuid *uuid, const char *domain, char **ret_message) {
        _cleanup_(virDomainFreep) virDomainPtr dom = NULL;
        _cleanup_free_ char *hostdev = NULL;
        char s[IDXD_UUID_STRING_MAX];
        int persistent, active, r;

        r = worker_lookup(l, domain, &dom, ret_message);
        if (r == -ENOENT) {
                /* No domain, nothing to detach from. */
                free(*ret_message);
                *ret_message = NULL;
                return 0;
        }
        if (r < 0)
                return r;
        r = idxd_libvirt_hostdev_xml(uuid, &hostdev);
        if (r < 0)
                return r;
        idxd_uuid_format(uuid, s);

        persistent = virDomainIsPersistent(dom);
        active = virDomainIsActive(dom);
        if (persistent < 0 || active < 0)
                return worker_failure(l, ret_message, "Cannot query domain '%s'", domain);

        if (active) {
                r = worker_domain_has_mdev(l, dom, 0, uuid, ret_message);
                if (r < 0)
                        return r;
                if (r > 0 && virDomainDetachDeviceFlags(dom, hostdev, VIR_DOMAIN_AFFECT_LIVE) < 0)
                        return worker_failure(l, ret_message, "Cannot detach mdev %s from running domain '%s'",
                                              s, domain);
        }
        if (persistent) {
                r = worker_domain_has_mdev(l, dom, VIR_DOMAIN_XML_INACTIVE, uuid, ret_message);
                if (r < 0)
                        return r;
                if (r > 0 && virDomainDetachDeviceFlags(dom, hostdev, VIR_DOMAIN_AFFECT_CONFIG) < 0)
                        return worker_failure(l, ret_message, "Cannot remove mdev %s from the config of domain '%s'",
                                              s, domain);
        }
        return 0;
}

/* Takes the next dirty entry and brings libvirt in line with it. Returns true when there was one. */
static bool worker_run_entry(IdxdLibvirt *l) {
        _cleanup_free_ char *domain = NULL, *message = NULL;
        IdxdRegistration state;
        bool attach, live;
        IdxdUuid uuid;
        Entry *e = NULL;
        int r;

        pthread_mutex_lock(&l->mutex);
        for (size_t k = 0; k < l->n_entries; k++) {
                size_t i = (l->cursor + k) % l->n_entries;

                if (l->entries[i]->dirty && !l->entries[i]->busy) {
                        e = l->entries[i];
                        l->cursor = i + 1;
                        break;
                }
        }
        if (e) {
                e->dirty = false;
                e->busy = true;
                uuid = e->uuid;
                attach = e->attach;
                live = e->live;
                domain = strdup(e->domain);
        }
        pthread_mutex_unlock(&l->mutex);
        if (!e)
                return false;

        if (!domain)
                r = -ENOMEM;
        else if (attach)
                r = worker_attach(l, &uuid, domain, live, &message);
        else
                r = worker_detach(l, &uuid, domain, &message);

        pthread_mutex_lock(&l->mutex);
        e->busy = false;
        if (r == -EAGAIN || r == -ENOMEM)
                e->dirty = true;        /* retried after the reconnect */
        else if (!e->dirty) {           /* else the loop changed its mind meanwhile: go again */
                state = r < 0 ? IDXD_REGISTRATION_FAILED :
                        attach ? IDXD_REGISTRATION_REGISTERED : IDXD_REGISTRATION_NONE;
                if (state != e->state || !streq_ptr(message, e->message)) {
                        e->state = state;
                        free(e->message);
                        e->message = TAKE_PTR(message);
                        push_registration(l, e);
                }
                if (state == IDXD_REGISTRATION_NONE)
                        entries_remove(l, e);
        }
        pthread_mutex_unlock(&l->mutex);
        return true;
}

/* Answers the oldest domain check. Returns true when there was one. */
static bool worker_run_check(IdxdLibvirt *l) {
        _cleanup_(virDomainFreep) virDomainPtr dom = NULL;
        _cleanup_free_ char *message = NULL;
        CheckRequest *c;
        Notice *n;
        int r;

        pthread_mutex_lock(&l->mutex);
        c = l->check_queue;
        if (c) {
                l->check_queue = c->next;
                if (!l->check_queue)
                        l->check_tail = &l->check_queue;
        }
        pthread_mutex_unlock(&l->mutex);
        if (!c)
                return false;

        if (!l->conn || l->conn_lost)
                r = -EAGAIN;
        else
                r = worker_lookup(l, c->domain, &dom, &message);
        if (r == -EAGAIN) {
                r = -ENOTCONN;
                free(message);
                if (asprintf(&message, "libvirt is not connected: cannot check domain '%s'", c->domain) < 0)
                        message = NULL;
        }

        pthread_mutex_lock(&l->mutex);
        n = notice_new(NOTICE_CHECK, c->domain, message);
        if (n) {
                n->check_id = c->id;
                n->r = r;
                notice_push(l, n);
        }
        pthread_mutex_unlock(&l->mutex);
        free(c->domain);
        free(c);
        return true;
}

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque) {
        IdxdLibvirt *l = opaque;
        const char *name = virDomainGetName(dom);
        IdxdDomainEvent e;
        Notice *n;

        switch (event) {
        case VIR_DOMAIN_EVENT_DEFINED:
                e = IDXD_DOMAIN_DEFINED;
                break;
        case VIR_DOMAIN_EVENT_UNDEFINED:
                e = IDXD_DOMAIN_UNDEFINED;
                break;
        case VIR_DOMAIN_EVENT_STARTED:
                e = IDXD_DOMAIN_STARTED;
                break;
        case VIR_DOMAIN_EVENT_STOPPED:
                e = IDXD_DOMAIN_STOPPED;
                break;
        default:
                return 0;
        }
        if (!name)
                return 0;

        pthread_mutex_lock(&l->mutex);
        for (size_t i = 0; i < l->n_entries; i++) {
                Entry *entry = l->entries[i];
                char *message = NULL;

                if (!entry->attach || strcmp(entry->domain, name) != 0)
                        continue;
                if (e == IDXD_DOMAIN_DEFINED)
                        /* A new definition may lack the hostdev, or a missing domain came back. */
                        entry->dirty = true;
                else if (e == IDXD_DOMAIN_UNDEFINED && !entry->busy) {
                        if (asprintf(&message, "domain '%s' was undefined", name) < 0)
                                message = NULL;
                        entry->state = IDXD_REGISTRATION_FAILED;
                        free(entry->message);
                        entry->message = message;
                        push_registration(l, entry);
                }
        }
        n = notice_new(NOTICE_DOMAIN_EVENT, name, NULL);
        if (n) {
                n->event = e;
                notice_push(l, n);
        }
        pthread_mutex_unlock(&l->mutex);
        return 0;
}

static void on_close(virConnectPtr conn, int reason, void *opaque) {
        IdxdLibvirt *l = opaque;
        const char *why;

        switch (reason) {
        case VIR_CONNECT_CLOSE_REASON_EOF:
                why = "libvirt closed the connection";
                break;
        case VIR_CONNECT_CLOSE_REASON_KEEPALIVE:
                why = "libvirt stopped answering keepalives";
                break;
        case VIR_CONNECT_CLOSE_REASON_CLIENT:
                why = "the connection was closed";
                break;
        default:
                why = "the connection failed";
        }
        l->conn_lost = true;
        free(l->lost_reason);
        l->lost_reason = strdup(why);
}

static void schedule_retry(IdxdLibvirt *l) {
        l->retry_due = false;
        virEventUpdateTimeout(l->retry_timer, (int) l->backoff_msec);
        l->backoff_msec = l->backoff_msec * 2 > BACKOFF_MAX_MSEC ? BACKOFF_MAX_MSEC : l->backoff_msec * 2;
}

static void on_retry_timer(int timer, void *opaque) {
        IdxdLibvirt *l = opaque;

        virEventUpdateTimeout(timer, -1);
        l->retry_due = true;
}

static void on_wake(int watch, int fd, int events, void *opaque) {
        eventfd_t v;

        (void) eventfd_read(fd, &v);
}

static void worker_connect(IdxdLibvirt *l) {
        _cleanup_free_ char *message = NULL;

        /* Retries while down stay "disconnected": the first attempt is the one worth telling. */
        if (idxd_libvirt_get_state(l) != IDXD_LIBVIRT_DISCONNECTED)
                set_state(l, IDXD_LIBVIRT_CONNECTING, NULL);
        l->conn = virConnectOpen(l->uri);
        if (l->conn) {
                /* Local drivers have no keepalive; that is fine. */
                (void) virConnectSetKeepAlive(l->conn, KEEPALIVE_INTERVAL_SEC, KEEPALIVE_COUNT);
                if (virConnectRegisterCloseCallback(l->conn, on_close, l, NULL) >= 0)
                        l->lifecycle_id = virConnectDomainEventRegisterAny(l->conn, NULL,
                                                                           VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                                                           VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle),
                                                                           l, NULL);
                if (l->lifecycle_id < 0) {
                        if (asprintf(&message, "Cannot watch libvirt at %s: %s", l->uri, virGetLastErrorMessage()) < 0)
                                message = NULL;
                        (void) virConnectUnregisterCloseCallback(l->conn, on_close);
                        (void) virConnectClose(l->conn);
                        l->conn = NULL;
                }
        } else if (asprintf(&message, "Cannot connect to libvirt at %s: %s", l->uri, virGetLastErrorMessage()) < 0)
                message = NULL;

        if (!l->conn) {
                schedule_retry(l);
                set_state(l, IDXD_LIBVIRT_DISCONNECTED, message);
                return;
        }

        l->backoff_msec = BACKOFF_MIN_MSEC;
        l->conn_lost = false;
        pthread_mutex_lock(&l->mutex);
        /* Whatever changed while we were away is caught by checking everything again. */
        for (size_t i = 0; i < l->n_entries; i++)
                l->entries[i]->dirty = true;
        push_state(l, IDXD_LIBVIRT_CONNECTED, NULL);
        pthread_mutex_unlock(&l->mutex);
}

static void worker_disconnect(IdxdLibvirt *l, bool retry) {
        _cleanup_free_ char *message = NULL;

        if (l->lifecycle_id >= 0)
                (void) virConnectDomainEventDeregisterAny(l->conn, l->lifecycle_id);
        l->lifecycle_id = -1;
        (void) virConnectUnregisterCloseCallback(l->conn, on_close);
        (void) virConnectClose(l->conn);
        l->conn = NULL;
        l->conn_lost = false;
        if (!retry)
                return;

        if (asprintf(&message, "Lost the connection to libvirt at %s: %s", l->uri,
                     l->lost_reason ?: "a call failed") < 0)
                message = NULL;
        free(l->lost_reason);
        l->lost_reason = NULL;
        schedule_retry(l);
        set_state(l, IDXD_LIBVIRT_DISCONNECTED, message);
}

static bool worker_quitting(IdxdLibvirt *l) {
        bool quit;

        pthread_mutex_lock(&l->mutex);
        quit = l->quit;
        pthread_mutex_unlock(&l->mutex);
        return quit;
}

static void *worker_main(void *userdata) {
        IdxdLibvirt *l = userdata;
        bool abandoned;

        l->wake_watch = virEventAddHandle(l->wake_fd, VIR_EVENT_HANDLE_READABLE, on_wake, l, NULL);
        l->retry_timer = virEventAddTimeout(-1, on_retry_timer, l, NULL);
        l->retry_due = true;

        while (!worker_quitting(l)) {
                if (!l->conn && l->retry_due) {
                        worker_connect(l);
                        continue;
                }
                if (l->conn && l->conn_lost) {
                        worker_disconnect(l, true);
                        continue;
                }
                /* Checks first: a D-Bus caller waits on them. */
                if (worker_run_check(l))
                        continue;
                if (l->conn && worker_run_entry(l))
                        continue;
                if (virEventRunDefaultImpl() < 0)
                        break;
        }

        if (l->conn)
                worker_disconnect(l, false);
        if (l->wake_watch >= 0)
                (void) virEventRemoveHandle(l->wake_watch);
        if (l->retry_timer >= 0)
                (void) virEventRemoveTimeout(l->retry_timer);
        free(l->lost_reason);
        l->lost_reason = NULL;

        pthread_mutex_lock(&l->mutex);
        abandoned = l->abandoned;
        l->worker_done = true;
        pthread_mutex_unlock(&l->mutex);
        if (abandoned)
                shared_free(l);
        return NULL;
}

/* ---- loop side ---- */

static Check *check_unlink(IdxdLibvirt *l, uint64_t id) {
        for (Check **c = &l->checks; *c; c = &(*c)->next)
                if ((*c)->id == id) {
                        Check *found = *c;

                        *c = found->next;
                        return found;
                }
        return NULL;
}

/* Answers a check that was unlinked already, and frees it. */
static void check_finish(Check *c, int r, const char *message) {
        sd_event_source_disable_unref(c->timer);
        c->callback(c->libvirt, c->domain, r, message, c->userdata);
        free(c->domain);
        free(c);
}

static int on_check_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Check *c = userdata;
        _cleanup_free_ char *message = NULL;

        (void) check_unlink(c->libvirt, c->id);
        if (asprintf(&message, "libvirt did not answer in time: cannot check domain '%s'", c->domain) < 0)
                message = NULL;
        check_finish(c, -ETIMEDOUT, message);
        return 0;
}

static void notice_dispatch(IdxdLibvirt *l, Notice *n) {
        const IdxdLibvirtCallbacks *cb = &l->callbacks;
        Check *c;

        switch (n->kind) {
        case NOTICE_REGISTRATION:
                if (cb->registration_changed)
                        cb->registration_changed(l, &n->uuid, n->domain, n->registration, n->message, l->userdata);
                break;
        case NOTICE_DOMAIN_EVENT:
                if (cb->domain_event)
                        cb->domain_event(l, n->domain, n->event, l->userdata);
                break;
        case NOTICE_STATE:
                if (cb->state_changed)
                        cb->state_changed(l, n->state, n->message, l->userdata);
                break;
        case NOTICE_CHECK:
                /* Not found: it timed out already. */
                c = check_unlink(l, n->check_id);
                if (c)
                        check_finish(c, n->r, n->message);
                break;
        }
}

static int on_notice(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        IdxdLibvirt *l = userdata;
        Notice *list;
        eventfd_t v;

        (void) eventfd_read(fd, &v);
        pthread_mutex_lock(&l->mutex);
        list = l->notices;
        l->notices = NULL;
        l->notice_tail = &l->notices;
        pthread_mutex_unlock(&l->mutex);

        while (list) {
                Notice *n = list;

                list = n->next;
                notice_dispatch(l, n);
                notice_free(n);
        }
        return 0;
}

int idxd_libvirt_new(sd_event *event, const char *uri, const IdxdLibvirtCallbacks *callbacks, void *userdata,
                     IdxdLibvirt **ret) {
        static pthread_once_t once = PTHREAD_ONCE_INIT;
        IdxdLibvirt *l;
        sigset_t all, saved;
        int r;

        (void) pthread_once(&once, global_init);
        if (global_init_result < 0)
                return global_init_result;

        l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        l->notice_fd = l->wake_fd = -1;
        l->wake_watch = l->retry_timer = l->lifecycle_id = -1;
        l->backoff_msec = BACKOFF_MIN_MSEC;
        l->check_tail = &l->check_queue;
        l->notice_tail = &l->notices;
        l->state = IDXD_LIBVIRT_CONNECTING;
        l->event = sd_event_ref(event);
        if (callbacks)
                l->callbacks = *callbacks;
        l->userdata = userdata;
        (void) pthread_mutex_init(&l->mutex, NULL);

        l->uri = strdup(uri && *uri ? uri : IDXD_DEFAULT_LIBVIRT_URI);
        if (!l->uri) {
                r = -ENOMEM;
                goto fail;
        }
        l->notice_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        l->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (l->notice_fd < 0 || l->wake_fd < 0) {
                r = -errno;
                goto fail;
        }
        r = sd_event_add_io(event, &l->notice_source, l->notice_fd, EPOLLIN, on_notice, l);
        if (r < 0)
                goto fail;

        /* Signals stay with the loop thread (signalfd); the worker takes none, SIGPIPE included. */
        sigfillset(&all);
        (void) pthread_sigmask(SIG_SETMASK, &all, &saved);
        r = -pthread_create(&l->worker, NULL, worker_main, l);
        (void) pthread_sigmask(SIG_SETMASK, &saved, NULL);
        if (r < 0)
                goto fail;
        l->worker_started = true;

        *ret = l;
        return 0;

fail:
        idxd_libvirt_free(l);
        return r;
}

/* Waits for the worker, bounded; false when it is still in a libvirt call. */
static bool worker_stop(IdxdLibvirt *l) {
        struct timespec deadline;
        bool stopped;

        pthread_mutex_lock(&l->mutex);
        l->quit = true;
        pthread_mutex_unlock(&l->mutex);
        wake(l->wake_fd);

        (void) clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += WORKER_JOIN_TIMEOUT_SEC;
        if (pthread_timedjoin_np(l->worker, NULL, &deadline) == 0)
                return true;

        /*
         * Stuck in a libvirt call (a libvirtd that took the connection and never
         * answers). Hand l over: the worker frees it when the call returns. If it
         * finished just now, join it after all.
         */
        pthread_mutex_lock(&l->mutex);
        stopped = l->worker_done;
        if (!stopped)
                l->abandoned = true;
        pthread_mutex_unlock(&l->mutex);
        if (stopped)
                (void) pthread_join(l->worker, NULL);
        else
                (void) pthread_detach(l->worker);
        return stopped;
}

IdxdLibvirt *idxd_libvirt_free(IdxdLibvirt *l) {
        bool stopped = true;

        if (!l)
                return NULL;

        if (l->worker_started)
                stopped = worker_stop(l);

        while (l->checks) {
                Check *c = l->checks;

                l->checks = c->next;
                check_finish(c, -ECANCELED, "the libvirt registrar is shutting down");
        }
        sd_event_source_disable_unref(l->notice_source);
        sd_event_unref(l->event);
        if (stopped)
                shared_free(l);
        return NULL;
}

int idxd_libvirt_register(IdxdLibvirt *l, const IdxdUuid *uuid, const char *domain, bool live) {
        Entry *found = NULL;
        int r = 0;

        if (!domain || !*domain)
                return -EINVAL;

        pthread_mutex_lock(&l->mutex);
        for (size_t i = entries_lower_bound(l, uuid);
             i < l->n_entries && idxd_uuid_equal(&l->entries[i]->uuid, uuid); i++) {
                Entry *e = l->entries[i];

                if (strcmp(e->domain, domain) == 0)
                        found = e;
                else if (e->attach) {
                        /* Moved to another domain: out of the old one. */
                        e->attach = false;
                        e->state = IDXD_REGISTRATION_PENDING;
                        e->dirty = true;
                }
        }
        if (!found)
                r = entries_insert(l, uuid, domain, &found);
        if (r >= 0) {
                if (!found->attach)
                        found->state = IDXD_REGISTRATION_PENDING;
                found->attach = true;
                found->live = live;
                found->dirty = true;
        }
        pthread_mutex_unlock(&l->mutex);

        if (r >= 0)
                wake(l->wake_fd);
        return r;
}

int idxd_libvirt_unregister(IdxdLibvirt *l, const IdxdUuid *uuid) {
        bool changed = false;

        pthread_mutex_lock(&l->mutex);
        for (size_t i = entries_lower_bound(l, uuid);
             i < l->n_entries && idxd_uuid_equal(&l->entries[i]->uuid, uuid); i++) {
                Entry *e = l->entries[i];

                if (!e->attach)
                        continue;
                e->attach = false;
                e->state = IDXD_REGISTRATION_PENDING;
                e->dirty = true;
                changed = true;
        }
        pthread_mutex_unlock(&l->mutex);

        if (changed)
                wake(l->wake_fd);
        return 0;
}

int idxd_libvirt_check_domain(IdxdLibvirt *l, const char *domain, uint64_t timeout_usec,
                              IdxdLibvirtCheckCallback callback, void *userdata) {
        _cleanup_free_ char *message = NULL;
        CheckRequest *req;
        Check *c;
        int r;

        if (!domain || !*domain || !callback)
                return -EINVAL;

        /* Down and waiting for a retry: nobody can tell now; say so at once. */
        if (idxd_libvirt_get_state(l) == IDXD_LIBVIRT_DISCONNECTED) {
                if (asprintf(&message, "libvirt is not connected: cannot check domain '%s'", domain) < 0)
                        message = NULL;
                callback(l, domain, -ENOTCONN, message, userdata);
                return 0;
        }

        c = calloc(1, sizeof(*c));
        req = calloc(1, sizeof(*req));
        if (!c || !req) {
                free(c);
                free(req);
                return -ENOMEM;
        }
        c->libvirt = l;
        c->id = req->id = ++l->next_check_id;
        c->callback = callback;
        c->userdata = userdata;
        c->domain = strdup(domain);
        req->domain = strdup(domain);
        if (!c->domain || !req->domain) {
                r = -ENOMEM;
                goto fail;
        }
        r = sd_event_add_time_relative(l->event, &c->timer, CLOCK_MONOTONIC, timeout_usec, 0, on_check_timeout, c);
        if (r < 0)
                goto fail;

        c->next = l->checks;
        l->checks = c;
        pthread_mutex_lock(&l->mutex);
        *l->check_tail = req;
        l->check_tail = &req->next;
        pthread_mutex_unlock(&l->mutex);
        wake(l->wake_fd);
        return 0;

fail:
        sd_event_source_disable_unref(c->timer);
        free(c->domain);
        free(c);
        free(req->domain);
        free(req);
        return r;
}

const char *idxd_libvirt_get_uri(const IdxdLibvirt *l) {
        return l->uri;
}

IdxdLibvirtState idxd_libvirt_get_state(IdxdLibvirt *l) {
        IdxdLibvirtState s;

        pthread_mutex_lock(&l->mutex);
        s = l->state;
        pthread_mutex_unlock(&l->mutex);
        return s;
}

unsigned idxd_libvirt_get_pending(IdxdLibvirt *l) {
        unsigned n = 0;

        pthread_mutex_lock(&l->mutex);
        for (size_t i = 0; i < l->n_entries; i++)
                if (l->entries[i]->dirty || l->entries[i]->busy)
                        n++;
        pthread_mutex_unlock(&l->mutex);
        return n;
}

IdxdRegistration idxd_libvirt_get_registration(IdxdLibvirt *l, const IdxdUuid *uuid, char **ret_message) {
        IdxdRegistration state = IDXD_REGISTRATION_NONE;
        char *message = NULL;

        pthread_mutex_lock(&l->mutex);
        for (size_t i = entries_lower_bound(l, uuid);
             i < l->n_entries && idxd_uuid_equal(&l->entries[i]->uuid, uuid); i++) {
                Entry *e = l->entries[i];

                if (!e->attach)
                        continue;
                state = e->state;
                if (ret_message && e->message)
                        message = strdup(e->message);
                break;
        }
        pthread_mutex_unlock(&l->mutex);

        if (ret_message)
                *ret_message = message;
        return state;
}
