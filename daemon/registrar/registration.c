/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Names of the registrar's states, for the daemon and the registrar module alike. */
#include "libvirt.h"

static const char *const state_names[_IDXD_LIBVIRT_STATE_MAX] = {
        [IDXD_LIBVIRT_DISCONNECTED] = "disconnected",
        [IDXD_LIBVIRT_CONNECTING] = "connecting",
        [IDXD_LIBVIRT_CONNECTED] = "connected",
};

static const char *const registration_names[_IDXD_REGISTRATION_MAX] = {
        [IDXD_REGISTRATION_NONE] = "none",
        [IDXD_REGISTRATION_PENDING] = "pending",
        [IDXD_REGISTRATION_REGISTERED] = "registered",
        [IDXD_REGISTRATION_FAILED] = "failed",
};

static const char *const domain_event_names[_IDXD_DOMAIN_EVENT_MAX] = {
        [IDXD_DOMAIN_DEFINED] = "defined",
        [IDXD_DOMAIN_UNDEFINED] = "undefined",
        [IDXD_DOMAIN_STARTED] = "started",
        [IDXD_DOMAIN_STOPPED] = "stopped",
};

const char *idxd_libvirt_state_to_string(IdxdLibvirtState s) {
        return s >= 0 && s < _IDXD_LIBVIRT_STATE_MAX ? state_names[s] : NULL;
}

const char *idxd_registration_to_string(IdxdRegistration r) {
        return r >= 0 && r < _IDXD_REGISTRATION_MAX ? registration_names[r] : NULL;
}

const char *idxd_domain_event_to_string(IdxdDomainEvent e) {
        return e >= 0 && e < _IDXD_DOMAIN_EVENT_MAX ? domain_event_names[e] : NULL;
}
