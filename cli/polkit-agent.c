/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <systemd/sd-login.h>
#include <unistd.h>

#include "polkit-agent.h"

#define PKTTYAGENT "/usr/bin/pkttyagent"
/* pkttyagent closes its notify fd once registered; it takes milliseconds. */
#define REGISTER_TIMEOUT_MS 5000

extern char **environ;

void polkit_agent_open(PolkitAgent *a) {
        char notify_fd[16], process[32];
        int pipe_fds[2];
        posix_spawn_file_actions_t actions;
        char pollbuf;
        pid_t pid;
        int r;

        a->pid = 0;
        if (geteuid() == 0 || !isatty(STDIN_FILENO) || access(PKTTYAGENT, X_OK) < 0)
                return;
        if (pipe2(pipe_fds, O_CLOEXEC) < 0)
                return;

        /* The write end stays open in the agent only: it is not O_CLOEXEC there. */
        (void) snprintf(notify_fd, sizeof(notify_fd), "%d", 3);
        (void) snprintf(process, sizeof(process), "%d", (int) getpid());
        /*
         * For this process (polkit finds it from the subject idxdd names, our
         * connection). In a logind session, as a fallback only, so that the
         * session's own agent (a desktop's) asks, as systemctl does; outside
         * one polkit ignores a fallback agent, so it is a plain one there.
         */
        char *session = NULL;
        bool fallback = sd_pid_get_session(0, &session) >= 0;
        free(session);
        char *argv[] = { (char *) "pkttyagent", (char *) "--notify-fd", notify_fd, (char *) "--process", process,
                         fallback ? (char *) "--fallback" : NULL, NULL };

        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 3);
        r = posix_spawn(&pid, PKTTYAGENT, &actions, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&actions);
        close(pipe_fds[1]);
        if (r != 0) {
                close(pipe_fds[0]);
                return;
        }
        a->pid = pid;

        /* Registered when it closes the pipe (EOF), or gone when it failed. */
        struct pollfd p = { .fd = pipe_fds[0], .events = POLLIN };
        if (poll(&p, 1, REGISTER_TIMEOUT_MS) > 0)
                (void) read(pipe_fds[0], &pollbuf, 1);
        close(pipe_fds[0]);
}

void polkit_agent_close(PolkitAgent *a) {
        if (a->pid <= 0)
                return;
        (void) kill(a->pid, SIGTERM);
        while (waitpid(a->pid, NULL, 0) < 0 && errno == EINTR)
                ;
        a->pid = 0;
}
