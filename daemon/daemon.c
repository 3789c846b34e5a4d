/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <grp.h>
#include <libudev.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "config.h"
#include "daemon.h"
#include "definitions.h"
#include "idxd-bus.h"
#include "idxd-errors.h"
#include "idxdd-config.h"
#include "libvirt.h"
#include "log.h"
#include "macro.h"
#include "mdev-ops.h"
#include "policy-apply.h"
#include "sysfs.h"

int log_debug_enabled;

/* The model's changes, announced on the bus once startup is done, and fed to pending requests. */
static void on_parent_added(Model *m, const Parent *p, void *userdata) {
        Daemon *d = userdata;

        log_debug("Parent %s added", p->name);
        if (d->ready)
                bus_manager_emit_parent(d, p, true);
        definitions_schedule_autostart(d);
        policy_apply_schedule(d);
}

static void on_parent_removed(Model *m, const Parent *p, void *userdata) {
        Daemon *d = userdata;

        log_info("Parent %s removed", p->name);
        if (d->ready)
                bus_manager_emit_parent(d, p, false);
        mdev_ops_parent_removed(d, p);
        policy_apply_schedule(d);
}

static void on_mdev_added(Model *m, const Mdev *mdev, void *userdata) {
        Daemon *d = userdata;

        log_debug("mdev %s added on parent %s", mdev->uuid_string, mdev->parent);
        /* The model hands out const; the options belong to this daemon, not to the model's facts. */
        definitions_apply(d, model_find_mdev(m, &mdev->uuid));
        mdev_ops_apply_options(d, model_find_mdev(m, &mdev->uuid));
        if (d->ready) {
                bus_mdev_emit_added(d, mdev);
                bus_manager_emit_mdev(d, mdev, true);
        }
        mdev_ops_mdev_added(d, mdev);
        policy_apply_schedule(d);
}

static void on_mdev_state_changed(Model *m, const Mdev *mdev, void *userdata) {
        Daemon *d = userdata;

        if (d->ready)
                bus_mdev_emit_state_changed(d, mdev);
}

static void on_mdev_removed(Model *m, const Mdev *mdev, void *userdata) {
        Daemon *d = userdata;

        log_debug("mdev %s removed", mdev->uuid_string);
        if (d->ready) {
                bus_manager_emit_mdev(d, mdev, false);
                bus_mdev_emit_removed(d, mdev);
        }
        mdev_ops_mdev_removed(d, mdev);
        definitions_device_removed(d, mdev);
        policy_apply_schedule(d);
}

static void on_libvirt_state_changed(IdxdLibvirt *l, IdxdLibvirtState state, const char *message, void *userdata) {
        Daemon *d = userdata;

        if (state == IDXD_LIBVIRT_CONNECTED) {
                log_info("Connected to libvirt at %s", d->libvirt_uri);
                d->libvirt_last_error = mfree(d->libvirt_last_error);
                return;
        }
        /* Retries repeat the same failure: say it once. */
        if (!message || (d->libvirt_last_error && strcmp(d->libvirt_last_error, message) == 0))
                return;
        log_warning("libvirt at %s: %s", d->libvirt_uri, message);
        free(d->libvirt_last_error);
        d->libvirt_last_error = strdup(message);
}

static void on_libvirt_registration_changed(IdxdLibvirt *l, const IdxdUuid *uuid, const char *domain,
                                            IdxdRegistration state, const char *message, void *userdata) {
        char s[IDXD_UUID_STRING_MAX];

        if (state == IDXD_REGISTRATION_FAILED)
                log_warning("mdev %s not registered with domain %s: %s", idxd_uuid_format(uuid, s),
                            strempty(domain), strempty(message));
        else
                log_debug("mdev %s: registration with domain %s %s", idxd_uuid_format(uuid, s),
                          strempty(domain), idxd_registration_to_string(state));
}

/* userdata: the domain's name, owned by the callback. */
static void on_release_done(Daemon *d, const IdxdUuid *uuid, int r, const char *message, void *userdata) {
        _cleanup_free_ char *domain = userdata;
        char s[IDXD_UUID_STRING_MAX];

        idxd_uuid_format(uuid, s);
        if (r >= 0)
                log_info("Released mdev %s of undefined domain %s", s, domain);
        else if (r == -EBUSY)
                log_notice("Keeping an mdev of undefined domain %s: %s", domain, strempty(message));
        else
                log_warning("Cannot release mdev %s of undefined domain %s: %s", s, domain,
                            message ? message : strerror(-r));
}

static void release_one(Daemon *d, const IdxdUuid *uuid, const char *domain) {
        char *name = strdup(domain);

        if (!name) {
                log_error("Cannot release mdevs of domain %s: out of memory", domain);
                return;
        }
        /* Not forced: an mdev in use stays, and the callback says so. */
        mdev_destroy(d, uuid, false, false, on_release_done, name);
}

static bool domain_is(const char *a, const char *domain) {
        return a && strcmp(a, domain) == 0;
}

/* The domain's mdevs (devices and definitions) at this moment: destroys change both tables. */
static int domain_mdevs(Daemon *d, const char *domain, IdxdUuid **ret, size_t *ret_n) {
        _cleanup_free_ IdxdUuid *uuids = NULL;
        size_t n = 0;

        uuids = calloc(d->n_definitions + d->model->n_mdevs + 1, sizeof(*uuids));
        if (!uuids)
                return -ENOMEM;
        for (size_t i = 0; i < d->n_definitions; i++)
                if (domain_is(d->definitions[i]->def->domain, domain))
                        uuids[n++] = d->definitions[i]->def->uuid;
        for (size_t i = 0; i < d->model->n_mdevs; i++) {
                const Mdev *mdev = d->model->mdevs[i];

                if (domain_is(mdev->domain, domain) && !definitions_find(d, &mdev->uuid))
                        uuids[n++] = mdev->uuid;
        }
        *ret = TAKE_PTR(uuids);
        *ret_n = n;
        return 0;
}

/* Undefined: the registrar has marked its registrations failed; on_domain_undefined says what else. */
static void domain_undefined(Daemon *d, const char *domain) {
        _cleanup_free_ IdxdUuid *uuids = NULL;
        size_t n;
        int r;

        r = domain_mdevs(d, domain, &uuids, &n);
        if (r < 0) {
                log_error_errno(r, "Cannot look up the mdevs of domain %s", domain);
                return;
        }
        if (n == 0)
                return;
        if (d->on_domain_undefined != IDXD_ON_UNDEFINED_RELEASE) {
                log_notice("Domain %s was undefined: keeping %zu mdev%s (on_domain_undefined: keep)", domain, n,
                           n == 1 ? "" : "s");
                return;
        }
        log_notice("Domain %s was undefined: releasing %zu mdev%s (on_domain_undefined: release)", domain, n,
                   n == 1 ? "" : "s");
        for (size_t i = 0; i < n; i++)
                release_one(d, &uuids[i], domain);
}

static void on_libvirt_domain_event(IdxdLibvirt *l, const char *domain, IdxdDomainEvent event, void *userdata) {
        log_debug("Domain %s %s", domain, idxd_domain_event_to_string(event));
        if (event == IDXD_DOMAIN_UNDEFINED)
                domain_undefined(userdata, domain);
}

static const IdxdLibvirtCallbacks daemon_libvirt_callbacks = {
        .registration_changed = on_libvirt_registration_changed,
        .domain_event = on_libvirt_domain_event,
        .state_changed = on_libvirt_state_changed,
};

static const ModelObserver daemon_model_observer = {
        .parent_added = on_parent_added,
        .parent_removed = on_parent_removed,
        .mdev_added = on_mdev_added,
        .mdev_state_changed = on_mdev_state_changed,
        .mdev_removed = on_mdev_removed,
};

uint64_t daemon_now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

static int strdup_or_default(const char *value, const char *fallback, char **ret) {
        *ret = strdup(value && *value ? value : fallback);
        return *ret ? 0 : -ENOMEM;
}

/* systemd's StateDirectory=: the first of a colon-separated list. */
static char *state_directory_from_env(void) {
        const char *e = getenv("STATE_DIRECTORY");

        if (!e || !*e)
                return NULL;
        return strndup(e, strcspn(e, ":"));
}

/*
 * <config_dir>/idxdd.json, then flags and environment over it. A bad file is
 * logged and the defaults are used: the daemon still starts.
 */
static int daemon_load_config(Daemon *d, const DaemonConfig *config, IdxdConfig **ret) {
        _cleanup_(idxd_config_freep) IdxdConfig *c = NULL;
        _cleanup_free_ char *path = NULL, *error = NULL, *env_state = NULL;
        const char *state_dir, *policy_dir = config->policy_dir;
        int r;

        r = strdup_or_default(config->config_dir, IDXD_DEFAULT_CONFIG_DIR, &d->config_dir);
        if (r < 0)
                return r;
        if (asprintf(&path, "%s/idxdd.json", d->config_dir) < 0)
                return -ENOMEM;
        r = idxd_config_load(path, &c, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                log_error("%s; using the default configuration", error ? error : path);
                r = idxd_config_new(&c);
                if (r < 0)
                        return r;
        }
        if (c->log_level == IDXD_LOG_DEBUG)
                log_debug_enabled = 1;
        d->ims_reserve = c->ims_reserve;
        d->on_domain_undefined = c->on_domain_undefined;

        /* The file's state_dir when it names one, else systemd's, else the default. */
        state_dir = config->state_dir;
        if (!state_dir || !*state_dir) {
                env_state = state_directory_from_env();
                state_dir = strcmp(c->state_dir, IDXD_DEFAULT_STATE_DIR) != 0 || !env_state ? c->state_dir : env_state;
        }
        d->state_dir = strdup(state_dir);
        if (!d->state_dir)
                return -ENOMEM;

        if (!policy_dir || !*policy_dir) {
                if (strcmp(c->policy_dir, IDXD_DEFAULT_CONFIG_DIR "/policy.d") != 0)
                        policy_dir = c->policy_dir;
                else if (asprintf(&d->policy_dir, "%s/policy.d", d->config_dir) < 0)
                        return -ENOMEM;
        }
        if (!d->policy_dir && !(d->policy_dir = strdup(policy_dir)))
                return -ENOMEM;

        *ret = TAKE_PTR(c);
        return 0;
}

int daemon_new(const DaemonConfig *config, Daemon **ret) {
        _cleanup_(idxd_config_freep) IdxdConfig *file = NULL;
        Daemon *d;
        int r;

        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->start_usec = daemon_now_usec();
        d->create_timeout_usec = config->create_timeout_usec ?: DAEMON_DEFAULT_CREATE_TIMEOUT_USEC;

        r = daemon_load_config(d, config, &file);
        if (r >= 0)
                r = strdup_or_default(config->sysfs_root, SYSFS_DEFAULT_ROOT, &d->sysfs_root);
        if (r >= 0)
                r = strdup_or_default(config->dev_root, DEV_DEFAULT_ROOT, &d->dev_root);
        if (r >= 0)
                r = strdup_or_default(config->group, file->group, &d->group_name);
        if (r >= 0)
                r = strdup_or_default(config->libvirt_uri, file->libvirt_uri, &d->libvirt_uri);
        if (r >= 0 && config->bus_address && *config->bus_address) {
                d->bus_address = strdup(config->bus_address);
                if (!d->bus_address)
                        r = -ENOMEM;
        }
        if (r >= 0)
                r = model_new(&daemon_model_observer, d, &d->model);
        if (r < 0) {
                daemon_free(d);
                return r;
        }

        *ret = d;
        return 0;
}

Daemon *daemon_free(Daemon *d) {
        if (!d)
                return NULL;

        mdev_ops_cancel_all(d);
        definitions_free_all(d);
        policy_apply_free(d);
        idxd_libvirt_free(d->libvirt);
        sd_bus_slot_unref(d->manager_slot);
        sd_bus_slot_unref(d->mdev_slot);
        sd_bus_slot_unref(d->mdev_enumerator_slot);
        sd_bus_slot_unref(d->object_manager_slot);
        sd_bus_flush_close_unref(d->bus);
        sd_event_source_disable_unref(d->monitor_source);
        udev_monitor_unref(d->monitor);
        udev_unref(d->udev);
        /* The observer must not reach for the bus while the model goes. */
        model_free(d->model);
        sd_event_unref(d->event);
        free(d->sysfs_root);
        free(d->dev_root);
        free(d->bus_address);
        free(d->group_name);
        free(d->libvirt_uri);
        free(d->libvirt_last_error);
        free(d->state_dir);
        free(d->config_dir);
        free(d->policy_dir);
        free(d);
        return NULL;
}

static void daemon_notify_ready(Daemon *d) {
        if (d->notified_ready)
                return;
        d->notified_ready = true;
        log_info("Ready: %zu parents, %zu mdevs, %zu definitions", d->model->n_parents, d->model->n_mdevs,
                 d->n_definitions);
        (void) sd_notify(false, "READY=1");
        daemon_notify_status(d);
}

void daemon_startup_op_begin(Daemon *d) {
        d->startup_pending++;
}

/* Autostart creates first, then the policy's, then READY=1. */
void daemon_startup_op_end(Daemon *d) {
        if (d->startup_pending == 0 || --d->startup_pending > 0)
                return;
        if (!d->policy_started) {
                d->policy_started = true;
                policy_apply_startup(d);
                return;
        }
        daemon_notify_ready(d);
}

void daemon_notify_status(Daemon *d) {
        if (!d->ready)
                return;
        (void) sd_notifyf(false, "STATUS=%zu parents, %zu mdevs", d->model->n_parents, d->model->n_mdevs);
}

static int resolve_group(Daemon *d) {
        struct group *gr;

        errno = 0;
        gr = getgrnam(d->group_name);
        if (!gr) {
                log_warning("Group %s not found: only root may change mdevs", d->group_name);
                d->has_group = false;
                return 0;
        }
        d->group = gr->gr_gid;
        d->has_group = true;
        return 0;
}

static int bus_connect(Daemon *d) {
        int r;

        if (!d->bus_address)
                return sd_bus_open_system(&d->bus);

        r = sd_bus_new(&d->bus);
        if (r < 0)
                return r;
        r = sd_bus_set_address(d->bus, d->bus_address);
        if (r < 0)
                return r;
        r = sd_bus_set_bus_client(d->bus, true);
        if (r < 0)
                return r;
        return sd_bus_start(d->bus);
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Daemon *d = userdata;

        log_info("Received %s, exiting", strsignal((int) si->ssi_signo));
        (void) sd_notify(false, "STOPPING=1");
        return sd_event_exit(d->event, 0);
}

static int on_reload_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        _cleanup_free_ char *message = NULL;
        Daemon *d = userdata;
        int r;

        log_info("Received SIGHUP, reloading the configuration and the policy");
        r = policy_apply_reload(d, &message);
        if (r < 0)
                log_error("Reload rejected, the running policy stays: %s", message ? message : strerror(-r));
        return 0;
}

static int setup_event_loop(Daemon *d) {
        sigset_t mask;
        int r;

        r = sd_event_default(&d->event);
        if (r < 0)
                return log_error_errno(r, "Cannot create the event loop");

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(-errno, "Cannot block signals");

        r = sd_event_add_signal(d->event, NULL, SIGTERM, on_exit_signal, d);
        if (r >= 0)
                r = sd_event_add_signal(d->event, NULL, SIGINT, on_exit_signal, d);
        if (r >= 0)
                r = sd_event_add_signal(d->event, NULL, SIGHUP, on_reload_signal, d);
        if (r < 0)
                return log_error_errno(r, "Cannot watch for signals");

        r = sd_event_set_watchdog(d->event, true);
        if (r < 0)
                return log_error_errno(r, "Cannot enable the watchdog");
        return 0;
}

/* Startup order: event loop, udev monitor, libvirt registrar, bus objects, name, enumeration, READY, loop. */
int daemon_run(Daemon *d) {
        int r;

        r = setup_event_loop(d);
        if (r < 0)
                return r;
        (void) resolve_group(d);

        d->udev = udev_new();
        if (!d->udev)
                return log_error_errno(negative_errno(), "Cannot create a udev context");
        r = discovery_start_monitor(d);
        if (r < 0)
                return log_error_errno(r, "Cannot listen for uevents");

        /* The registrar connects on its own thread; nothing here waits for libvirt. */
        if (strcmp(d->libvirt_uri, "none") != 0) {
                r = idxd_libvirt_new(d->event, d->libvirt_uri, &daemon_libvirt_callbacks, d, &d->libvirt);
                if (r < 0)
                        return log_error_errno(r, "Cannot start the libvirt registrar");
        }

        r = bus_connect(d);
        if (r < 0)
                return log_error_errno(r, "Cannot connect to the %s bus", d->bus_address ? d->bus_address : "system");
        (void) sd_bus_error_add_map(idxd_error_map);
        r = bus_manager_register(d);
        if (r >= 0)
                r = bus_mdev_register(d);
        if (r < 0)
                return log_error_errno(r, "Cannot register the D-Bus objects");
        r = sd_bus_attach_event(d->bus, d->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Cannot attach the bus to the event loop");
        r = sd_bus_set_exit_on_disconnect(d->bus, true);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the bus");

        r = sd_bus_request_name(d->bus, IDXD_BUS_NAME, 0);
        if (r == -EEXIST || r == -EALREADY) {
                log_error("The bus name %s is already taken: is another idxdd running?", IDXD_BUS_NAME);
                return r;
        }
        if (r < 0)
                return log_error_errno(r, "Cannot acquire the bus name %s", IDXD_BUS_NAME);

        /* Definitions before devices: an mdev found by the enumeration is adopted as it is read. */
        r = definitions_load(d);
        if (r < 0)
                return r;
        policy_apply_load_initial(d);
        r = discovery_enumerate(d);
        if (r < 0)
                return log_error_errno(r, "Cannot enumerate devices");

        d->ready = true;
        /* READY=1 once the autostart creates this starts have finished. */
        definitions_reconcile(d);

        r = sd_event_loop(d->event);
        if (r < 0)
                return log_error_errno(r, "Event loop failed");
        if (r > 0) {
                /* Only the bus ends the loop with a failure: let the service manager restart us. */
                log_error("Lost the connection to the bus, exiting");
                return -ECONNRESET;
        }
        return 0;
}
