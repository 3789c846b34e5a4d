/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A polkit authentication agent for one call, as systemctl runs one: when
 * idxdctl may ask for a password (no --no-ask-password), its caller is not
 * root and stdin is a terminal, pkttyagent is started for this process and
 * asks on the terminal if polkit wants a password.
 */
#pragma once

#include <sys/types.h>

typedef struct PolkitAgent {
        pid_t pid;      /* 0: none running */
} PolkitAgent;

/* Starts pkttyagent and waits until it is registered; quietly nothing when it cannot be (no tty, root, not installed). */
void polkit_agent_open(PolkitAgent *a);
void polkit_agent_close(PolkitAgent *a);
