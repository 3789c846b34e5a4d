/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "config.h"
#include "daemon.h"
#include "idxd-bus.h"
#include "idxd-errors.h"
#include "idxdd-config.h"
#include "log.h"
#include "macro.h"
#include "sysfs-path.h"

static int on_status_defer(sd_event_source *s, void *userdata) {
        Daemon *d = userdata;

        (void) sd_notifyf(false, "STATUS=%zu parents, %zu mdevs", d->model->n_parents, d->model->n_mdevs);
        return 0;
}

/* STATUS= once per loop iteration in which the model changed (a batch of uevents, a reload). */
static void status_changed(Daemon *d) {
        if (!d->ready)
                return;
        if (!d->status_defer && sd_event_add_defer(d->event, &d->status_defer, on_status_defer, d) < 0)
                return;
        (void) sd_event_source_set_enabled(d->status_defer, SD_EVENT_ONESHOT);
}

/*
 * The model's changes, in order: the operations layer first (options of a
 * new mdev), then the bus (announced once startup is done), then the
 * requests waiting for them.
 */
static void on_parent_added(Model *m, const Parent *p, void *userdata) {
        Daemon *d = userdata;

        log_debug("Parent %s added", p->name);
        if (d->ready)
                bus_manager_emit_parent(d->bus, p, true);
        ops_parent_added(d->ops, p);
        status_changed(d);
}

static void on_parent_removed(Model *m, const Parent *p, void *userdata) {
        Daemon *d = userdata;

        log_info("Parent %s removed", p->name);
        if (d->ready)
                bus_manager_emit_parent(d->bus, p, false);
        ops_parent_removed(d->ops, p);
        status_changed(d);
}

static void on_mdev_added(Model *m, const Mdev *mdev, void *userdata) {
        Daemon *d = userdata;

        log_debug("mdev %s added on parent %s", mdev->uuid_string, mdev->parent);
        ops_mdev_appeared(d->ops, mdev);
        if (d->ready) {
                bus_mdev_emit_added(d->bus, mdev);
                bus_manager_emit_mdev(d->bus, mdev, true);
        }
        ops_mdev_added(d->ops, mdev);
        status_changed(d);
}

static void on_mdev_state_changed(Model *m, const Mdev *mdev, void *userdata) {
        Daemon *d = userdata;

        if (d->ready)
                bus_mdev_emit_state_changed(d->bus, mdev);
}

static void on_mdev_removed(Model *m, const Mdev *mdev, void *userdata) {
        Daemon *d = userdata;

        log_debug("mdev %s removed", mdev->uuid_string);
        if (d->ready) {
                bus_manager_emit_mdev(d->bus, mdev, false);
                bus_mdev_emit_removed(d->bus, mdev);
        }
        ops_mdev_removed(d->ops, mdev);
        status_changed(d);
}

static const ModelObserver daemon_model_observer = {
        .parent_added = on_parent_added,
        .parent_removed = on_parent_removed,
        .mdev_added = on_mdev_added,
        .mdev_state_changed = on_mdev_state_changed,
        .mdev_removed = on_mdev_removed,
};

/* What the operations layer tells: a definition's object, and the end of startup. */
static void on_definition_object(const Mdev *shadow, bool added, void *userdata) {
        Daemon *d = userdata;

        if (added)
                bus_mdev_emit_added(d->bus, shadow);
        else
                bus_mdev_emit_removed(d->bus, shadow);
}

static void on_startup_done(void *userdata) {
        Daemon *d = userdata;

        log_info("Ready: %zu parents, %zu mdevs, %zu definitions", d->model->n_parents, d->model->n_mdevs,
                 d->ops->definitions.n);
        (void) sd_notify(false, "READY=1");
        (void) on_status_defer(NULL, d);
}

static void on_definition_changed(const IdxdDefinition *def, const char *change, void *userdata) {
        Daemon *d = userdata;

        bus_manager_emit_definition_changed(d->bus, def, change);
}

static const OpsEvents daemon_ops_events = {
        .definition_object = on_definition_object,
        .startup_done = on_startup_done,
        .definition_changed = on_definition_changed,
};

static void on_domain_undefined(const char *domain, void *userdata) {
        Daemon *d = userdata;

        ops_domain_undefined(d->ops, domain);
}

static const RegistrarEvents daemon_registrar_events = {
        .domain_undefined = on_domain_undefined,
};

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
        d->settings.ims_reserve = c->ims_reserve;
        d->settings.creates_in_flight = config->creates_in_flight ?: c->creates_in_flight;
        d->settings.on_domain_undefined = c->on_domain_undefined;
        d->settings.callout_timeout_usec = config->callout_timeout_usec ?: c->callout_timeout * 1000000ULL;
        d->callout_dir = strdup(config->callout_dir ? config->callout_dir : c->callout_dir);
        if (!d->callout_dir)
                return -ENOMEM;

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
        d->start_usec = now_monotonic_usec();

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
        d->settings.sysfs_root = d->sysfs_root;
        d->settings.dev_root = d->dev_root;
        d->settings.state_dir = d->state_dir;
        d->settings.config_dir = d->config_dir;
        d->settings.policy_dir = d->policy_dir;
        d->settings.create_timeout_usec = config->create_timeout_usec;
        d->settings.callout_dir = d->callout_dir;

        *ret = d;
        return 0;
}

Daemon *daemon_free(Daemon *d) {
        if (!d)
                return NULL;

        /* Pending requests fail first, then the registrar's checks (their callbacks reach the queues). */
        if (d->ops)
                mdev_ops_cancel_all(d->ops);
        d->registrar = registrar_free(d->registrar);
        if (d->ops)
                d->ops->registrar = NULL;
        d->ops = ops_free(d->ops);
        d->bus = bus_free(d->bus);
        d->discovery = discovery_free(d->discovery);
        sd_event_source_disable_unref(d->status_defer);
        /* The observer must not reach for the bus while the model goes. */
        d->ready = false;
        model_free(d->model);
        sd_event_unref(d->event);
        free(d->sysfs_root);
        free(d->dev_root);
        free(d->bus_address);
        free(d->group_name);
        free(d->libvirt_uri);
        free(d->state_dir);
        free(d->config_dir);
        free(d->policy_dir);
        free(d->callout_dir);
        free(d);
        return NULL;
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
        r = policy_apply_reload(d->ops, &message);
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

/* Startup order: event loop, libvirt registrar, udev monitor, bus objects, name, enumeration, READY, loop. */
int daemon_run(Daemon *d) {
        int r;

        r = setup_event_loop(d);
        if (r < 0)
                return r;

        /*
         * The registrar first: loading libvirt takes a while, and uevents that
         * arrive meanwhile would wait unread in the monitor. It connects on its
         * own thread; nothing here waits for libvirt.
         */
        r = registrar_new(d->event, d->libvirt_uri, &daemon_registrar_events, d, &d->registrar);
        if (r < 0)
                return log_error_errno(r, "Cannot start the libvirt registrar");

        r = discovery_new(d->event, d->model, &d->discovery);
        if (r < 0)
                return log_error_errno(r, "Cannot create a udev context");
        r = discovery_start_monitor(d->discovery);
        if (r < 0)
                return log_error_errno(r, "Cannot listen for uevents");

        r = ops_new(d->event, d->model, d->discovery, d->registrar, &d->settings, &daemon_ops_events, d, &d->ops);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the operations");

        r = bus_new(d->model, d->ops, d->discovery, d->registrar, d->group_name, d->sysfs_root, d->start_usec,
                    &d->bus);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the bus objects");
        r = bus_connect(d->bus, d->bus_address);
        if (r < 0)
                return log_error_errno(r, "Cannot connect to the %s bus", d->bus_address ? d->bus_address : "system");
        (void) sd_bus_error_add_map(idxd_error_map);
        r = bus_manager_register(d->bus);
        if (r >= 0)
                r = bus_mdev_register(d->bus);
        if (r < 0)
                return log_error_errno(r, "Cannot register the D-Bus objects");
        r = sd_bus_attach_event(d->bus->bus, d->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Cannot attach the bus to the event loop");
        r = sd_bus_set_exit_on_disconnect(d->bus->bus, true);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the bus");

        r = sd_bus_request_name(d->bus->bus, IDXD_BUS_NAME, 0);
        if (r == -EEXIST || r == -EALREADY) {
                log_error("The bus name %s is already taken: is another idxdd running?", IDXD_BUS_NAME);
                return r;
        }
        if (r < 0)
                return log_error_errno(r, "Cannot acquire the bus name %s", IDXD_BUS_NAME);

        r = ops_load(d->ops);
        if (r < 0)
                return r;
        r = discovery_enumerate(d->discovery);
        if (r < 0)
                return log_error_errno(r, "Cannot enumerate devices");

        d->ready = true;
        /* READY=1 (on_startup_done) once the autostart and policy creates this starts have finished. */
        ops_start(d->ops);

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
